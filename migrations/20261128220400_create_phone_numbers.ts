import type { Knex } from 'knex'

// Numbers a business answers on, the history of its number slots, and blocked caller numbers.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table phone_numbers (
      id uuid primary key default gen_random_uuid(),
      business_id uuid not null references businesses (id) on delete cascade,
      e164 text not null check (e164 ~ '^\\+[1-9][0-9]{6,14}$'),
      twilio_sid text unique check (twilio_sid ~ '^PN[0-9a-f]{32}$'),
      source text not null check (source in ('purchased', 'attached')),
      friendly_name text check (length(friendly_name) <= 200),
      status text not null default 'active' check (status in ('active', 'released')),
      acquired_at timestamptz not null default now(),
      released_at timestamptz,
      constraint phone_numbers_release_dated check ((status = 'released') = (released_at is not null))
    );
    -- The inbound webhook finds the business by the dialled number: one active owner per number.
    create unique index phone_numbers_active_e164 on phone_numbers (e164) where status = 'active';
    create index phone_numbers_business on phone_numbers (business_id);

    create table number_slot_events (
      id uuid primary key default gen_random_uuid(),
      business_id uuid not null references businesses (id) on delete cascade,
      phone_number_id uuid not null references phone_numbers (id) on delete cascade,
      kind text not null check (kind in ('purchased', 'attached', 'released')),
      actor_user_id uuid references users (id) on delete set null,
      occurred_at timestamptz not null default now()
    );
    create index number_slot_events_business on number_slot_events (business_id, occurred_at);

    create table blocked_numbers (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      -- Null: blocked across every business of the organization (an agency-wide block).
      business_id uuid,
      e164 text not null check (e164 ~ '^\\+[1-9][0-9]{6,14}$'),
      reason text check (length(reason) <= 500),
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      foreign key (business_id, organization_id) references businesses (id, organization_id) on delete cascade,
      unique nulls not distinct (organization_id, business_id, e164)
    );
    create index blocked_numbers_lookup on blocked_numbers (e164, organization_id);
    create index blocked_numbers_business on blocked_numbers (business_id) where business_id is not null;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table blocked_numbers, number_slot_events, phone_numbers')
}
