import type { Knex } from 'knex'

// Leaky buckets for rate limits shared by every api instance. Keys name the limit and a hashed
// subject (an IP address or an account), never an email in clear.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table rate_limit_buckets (
      key text primary key check (length(key) between 1 and 200),
      level double precision not null check (level >= 0),
      updated_at timestamptz not null default now()
    );
    create index rate_limit_buckets_updated on rate_limit_buckets (updated_at);
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table rate_limit_buckets')
}
