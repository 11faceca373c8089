import { readdir } from 'node:fs/promises'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { migrateLatest, migrateToZero, pendingMigrations } from '../core/db/migrations.ts'
import { openTestDb, type TestDb } from '../core/testing/test-db.ts'

const migrations = suite<{ test: TestDb }>('migrations: from empty, down and up again')

const PRODUCT_TABLES = [
  'users', 'user_sessions', 'refresh_tokens', 'one_time_codes', 'organizations', 'businesses', 'memberships', 'invitations',
  'agent_configs', 'phone_numbers', 'number_slot_events', 'blocked_numbers', 'calls', 'consent_records', 'transcript_segments',
  'recordings', 'contacts', 'leads', 'lead_notes', 'lead_revisions', 'api_keys', 'connectors', 'deliveries', 'delivery_attempts',
  'billing_accounts', 'minute_ledger', 'invoices', 'provider_events', 'audit_log', 'data_requests', 'policy_versions',
  'policy_acknowledgements', 'rate_limit_buckets', 'policy_notifications',
]

async function publicTables(test: TestDb): Promise<string[]> {
  const { rows } = await test.db.raw(`select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'knex_%' order by 1`)
  return (rows as Array<{ table_name: string }>).map((row) => row.table_name)
}

migrations.before(async (ctx) => {
  ctx.test = await openTestDb({ migrate: false })
})
migrations.after(async (ctx) => {
  await ctx.test.destroy()
})

migrations('an empty database has every migration pending', async ({ test }) => {
  const files = (await readdir(new URL('.', import.meta.url))).filter((f) => /^\d{14}_.*\.ts$/.test(f))
  assert.ok(files.length >= 10)
  assert.equal(await pendingMigrations(test.db), files.sort())
})

migrations('migrating from empty creates every table of the product', async ({ test }) => {
  const applied = await migrateLatest(test.db)
  assert.ok(applied.length >= 10)
  assert.equal(await publicTables(test), [...PRODUCT_TABLES].sort())
  assert.equal(await pendingMigrations(test.db), [])
})

migrations('a second migrate is a no-op', async ({ test }) => {
  assert.equal(await migrateLatest(test.db), [])
})

migrations('every table has a uuid primary key and timestamptz, never timestamp without zone', async ({ test }) => {
  const { rows: naive } = await test.db.raw(`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' and data_type = 'timestamp without time zone'`)
  assert.equal(naive, [])
  const { rows: keys } = await test.db.raw(`
    select c.relname as table_name, a.attname, format_type(a.atttypid, a.atttypmod) as type
    from pg_index i join pg_class c on c.oid = i.indrelid join pg_attribute a on a.attrelid = c.oid and a.attnum = any(i.indkey)
    join pg_namespace n on n.oid = c.relnamespace
    where i.indisprimary and n.nspname = 'public' and c.relname not like 'knex_%'`)
  // Rate-limit buckets are found by their natural key (limit and subject), never referenced.
  const nonUuid = (keys as Array<{ table_name: string; type: string }>).filter((k) => k.type !== 'uuid' && k.table_name !== 'rate_limit_buckets')
  assert.equal(nonUuid, [])
})

migrations('every foreign key column is the leading column of some index', async ({ test }) => {
  // Unindexed foreign keys make cascading deletes (retention, purges) scan whole tables.
  const { rows } = await test.db.raw(`
    select c.conrelid::regclass::text as table_name, a.attname as column_name
    from pg_constraint c
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    where c.contype = 'f' and c.connamespace = 'public'::regnamespace
      and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])`)
  const allowed = new Set([
    // Small or rarely deleted parents, where a scan on delete is acceptable.
    'users', 'policy_versions', 'agent_configs', 'phone_numbers',
  ])
  const missing = (rows as Array<{ table_name: string; column_name: string }>).filter((r) => !isReferenceToAllowed(r, allowed))
  assert.equal(missing, [], `unindexed foreign keys: ${JSON.stringify(missing)}`)
})

function isReferenceToAllowed(row: { table_name: string; column_name: string }, allowedParents: Set<string>): boolean {
  const parentByColumn: Record<string, string> = {
    created_by: 'users', invited_by: 'users', author_user_id: 'users', changed_by: 'users', owner_user_id: 'users',
    actor_user_id: 'users', requested_by: 'users', subject_user_id: 'users', policy_version_id: 'policy_versions',
    agent_config_id: 'agent_configs', phone_number_id: 'phone_numbers',
  }
  const parent = parentByColumn[row.column_name]
  return parent !== undefined && allowedParents.has(parent)
}

migrations('every migration rolls back to an empty schema, and applies again', async ({ test }) => {
  await migrateToZero(test.db)
  assert.equal(await publicTables(test), [])
  const { rows: functions } = await test.db.raw(`select proname from pg_proc where pronamespace = 'public'::regnamespace`)
  assert.equal(functions, [])
  await migrateLatest(test.db)
  assert.equal((await publicTables(test)).length, PRODUCT_TABLES.length)
})

migrations.run()
