import type { Knex } from 'knex'

// A closed organization is purged in many short transactions, possibly over several runs: what
// each one removed is added up on the organization row, in the same transaction, so the audit
// entry written with the final delete counts everything exactly once. The hourly sweep finds the
// organizations due by a small partial index.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table organizations
      add column purge_counts jsonb not null default '{}' check (jsonb_typeof(purge_counts) = 'object');
    create index organizations_purge_due on organizations (purge_after) where status = 'closed';
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index organizations_purge_due;
    alter table organizations drop column purge_counts;
  `)
}
