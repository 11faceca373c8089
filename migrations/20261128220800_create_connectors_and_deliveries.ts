import type { Knex } from 'knex'

// CRM connectors and webhook endpoints, and the outbox of deliveries to them.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table connectors (
      id uuid primary key default gen_random_uuid(),
      business_id uuid not null references businesses (id) on delete cascade,
      kind text not null check (kind in ('hubspot', 'salesforce', 'webhook')),
      name text not null check (length(btrim(name)) between 1 and 100),
      status text not null default 'active' check (status in ('active', 'paused', 'disabled', 'error')),
      disabled_reason text check (length(disabled_reason) <= 500),
      -- Non-secret settings (endpoint URL, owner rule, instance URL); secrets live in credentials_ciphertext.
      config jsonb not null default '{}' check (jsonb_typeof(config) = 'object'),
      field_mapping jsonb not null default '{}' check (jsonb_typeof(field_mapping) = 'object'),
      event_types text[] not null default '{}',
      -- AES-256-GCM sealed credentials and the id of the key that sealed them (keys rotate).
      credentials_ciphertext bytea,
      credentials_key_id text,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint connectors_credentials_keyed check ((credentials_ciphertext is null) = (credentials_key_id is null)),
      constraint connectors_disabled_has_reason check ((status = 'disabled') = (disabled_reason is not null)),
      unique (id, business_id)
    );
    create index connectors_business on connectors (business_id);
    create trigger connectors_touch before update on connectors for each row execute function answerline_touch_updated_at();

    create table deliveries (
      id uuid primary key default gen_random_uuid(),
      connector_id uuid not null,
      business_id uuid not null,
      -- The domain event delivered; one delivery per connector and event makes retries idempotent.
      event_id uuid not null,
      event_type text not null check (event_type ~ '^[a-z_]+\\.[a-z_]+$'),
      subject_type text not null check (subject_type in ('call', 'lead')),
      subject_id uuid not null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0 check (attempts >= 0),
      next_attempt_at timestamptz,
      external_id text,
      -- How the CRM record was matched: explains why a contact was updated rather than created.
      match_rule text check (match_rule in ('email', 'phone', 'external_id', 'created')),
      last_error text check (length(last_error) <= 2000),
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      foreign key (connector_id, business_id) references connectors (id, business_id) on delete cascade,
      unique (connector_id, event_id),
      constraint deliveries_pending_is_scheduled check ((status = 'pending') = (next_attempt_at is not null)),
      constraint deliveries_delivered_dated check ((status = 'delivered') = (delivered_at is not null))
    );
    create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';
    create index deliveries_subject on deliveries (business_id, subject_type, subject_id);
    create trigger deliveries_touch before update on deliveries for each row execute function answerline_touch_updated_at();

    create table delivery_attempts (
      id uuid primary key default gen_random_uuid(),
      delivery_id uuid not null references deliveries (id) on delete cascade,
      attempt integer not null check (attempt >= 1),
      started_at timestamptz not null default now(),
      latency_ms integer check (latency_ms >= 0),
      status_code integer check (status_code between 100 and 599),
      outcome text not null check (outcome in ('delivered', 'retry', 'failed')),
      error text check (length(error) <= 2000),
      response_excerpt text check (length(response_excerpt) <= 2000),
      unique (delivery_id, attempt)
    );
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table delivery_attempts, deliveries, connectors')
}
