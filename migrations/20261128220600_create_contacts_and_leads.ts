import type { Knex } from 'knex'

// Leads extracted from calls, and the contacts that link one caller's leads within a business.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table contacts (
      id uuid primary key default gen_random_uuid(),
      business_id uuid not null references businesses (id) on delete cascade,
      name text check (length(name) <= 200),
      phone text check (phone ~ '^\\+[1-9][0-9]{6,14}$'),
      email text check (email = lower(btrim(email)) and email ~ '^[^@\\s]+@[^@\\s]+$'),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint contacts_identified check (phone is not null or email is not null),
      unique (id, business_id)
    );
    create unique index contacts_business_phone on contacts (business_id, phone) where phone is not null;
    create unique index contacts_business_email on contacts (business_id, email) where email is not null;
    create trigger contacts_touch before update on contacts for each row execute function answerline_touch_updated_at();

    create table leads (
      id uuid primary key default gen_random_uuid(),
      business_id uuid not null,
      call_id uuid not null unique,
      contact_id uuid,
      status text not null default 'new' check (status in ('new', 'contacted', 'qualified', 'won', 'lost')),
      temperature text check (temperature in ('hot', 'warm', 'cold')),
      name text check (length(name) <= 200),
      email text check (email = lower(btrim(email)) and email ~ '^[^@\\s]+@[^@\\s]+$'),
      phone text check (phone ~ '^\\+[1-9][0-9]{6,14}$'),
      reason text check (length(reason) <= 2000),
      requested_service text check (length(requested_service) <= 500),
      urgency text check (urgency in ('low', 'normal', 'high', 'emergency')),
      call_outcome text check (length(call_outcome) <= 64),
      -- Values of the business's own capture fields, by field key.
      custom_fields jsonb not null default '{}' check (jsonb_typeof(custom_fields) = 'object'),
      -- Per field: the transcript segment it came from and a confidence between 0 and 1.
      evidence jsonb not null default '{}' check (jsonb_typeof(evidence) = 'object'),
      extraction_method text not null check (extraction_method in ('model', 'fallback', 'manual')),
      extraction_model text,
      prompt_version text,
      needs_review boolean not null default false,
      owner_user_id uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      foreign key (call_id, business_id) references calls (id, business_id) on delete cascade,
      foreign key (contact_id, business_id) references contacts (id, business_id) on delete set null (contact_id),
      constraint leads_model_extraction_is_versioned check (extraction_method <> 'model' or (extraction_model is not null and prompt_version is not null)),
      unique (id, business_id)
    );
    create index leads_business_created on leads (business_id, created_at desc, id desc);
    create index leads_business_status on leads (business_id, status, created_at desc);
    create index leads_contact on leads (contact_id);
    create trigger leads_touch before update on leads for each row execute function answerline_touch_updated_at();

    create table lead_notes (
      id uuid primary key default gen_random_uuid(),
      lead_id uuid not null,
      business_id uuid not null,
      author_user_id uuid references users (id) on delete set null,
      body text not null check (length(btrim(body)) between 1 and 10000),
      created_at timestamptz not null default now(),
      foreign key (lead_id, business_id) references leads (id, business_id) on delete cascade
    );
    create index lead_notes_lead on lead_notes (lead_id, created_at);

    -- Rectification history: each edit by a person, with the fields before and after.
    create table lead_revisions (
      id uuid primary key default gen_random_uuid(),
      lead_id uuid not null,
      business_id uuid not null,
      changed_by uuid references users (id) on delete set null,
      changes jsonb not null check (jsonb_typeof(changes) = 'object' and changes <> '{}'),
      created_at timestamptz not null default now(),
      foreign key (lead_id, business_id) references leads (id, business_id) on delete cascade
    );
    create index lead_revisions_lead on lead_revisions (lead_id, created_at);
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table lead_revisions, lead_notes, leads, contacts')
}
