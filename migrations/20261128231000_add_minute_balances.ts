import type { Knex } from 'knex'

// Available minutes per bucket, kept beside the ledger in the same transaction as every entry, so
// gating a call reads one row instead of summing the ledger. The checks make a negative balance
// impossible whatever the code does; the ledger stays the record they are derived from.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table billing_accounts
      add column included_minutes integer not null default 0,
      add column topup_minutes integer not null default 0,
      add column low_balance_alerted_at timestamptz,
      add constraint billing_accounts_included_minutes_not_negative check (included_minutes >= 0),
      add constraint billing_accounts_topup_minutes_not_negative check (topup_minutes >= 0);

    update billing_accounts b set
      included_minutes = coalesce((select sum(minutes) from minute_ledger l where l.billing_account_id = b.id and l.bucket = 'included'), 0),
      topup_minutes = coalesce((select sum(minutes) from minute_ledger l where l.billing_account_id = b.id and l.bucket = 'topup'), 0);
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table billing_accounts
      drop column low_balance_alerted_at,
      drop column topup_minutes,
      drop column included_minutes;
  `)
}
