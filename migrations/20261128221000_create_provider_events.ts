import type { Knex } from 'knex'

// Webhook events received from providers: the unique key makes a redelivered event a no-op.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table provider_events (
      id uuid primary key default gen_random_uuid(),
      provider text not null check (provider in ('stripe', 'twilio', 'hubspot', 'salesforce')),
      event_id text not null check (length(event_id) between 1 and 255),
      type text not null check (length(type) between 1 and 255),
      payload jsonb not null,
      received_at timestamptz not null default now(),
      processed_at timestamptz,
      attempts integer not null default 0 check (attempts >= 0),
      last_error text check (length(last_error) <= 2000),
      unique (provider, event_id)
    );
    create index provider_events_unprocessed on provider_events (received_at) where processed_at is null;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table provider_events')
}
