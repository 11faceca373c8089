import type { Knex } from 'knex'

// Auto top-up: the purchase last attempted (so a declined card is tried once per period and
// threshold, not on every sweep), and a small index for the sweep that finds accounts below
// their threshold. And when the owners were last told the minutes ran out (once per period).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table billing_accounts
      add column auto_topup_attempt_key text check (length(auto_topup_attempt_key) <= 200),
      add column out_of_minutes_alerted_at timestamptz;
    create index billing_accounts_auto_topup on billing_accounts (id) where auto_topup_threshold_minutes is not null and closed_at is null;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index billing_accounts_auto_topup;
    alter table billing_accounts drop column auto_topup_attempt_key, drop column out_of_minutes_alerted_at;
  `)
}
