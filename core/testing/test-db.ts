import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { loadConfig } from '../config/config.ts'
import { createKnex, type Knex } from '../db/knex.ts'
import { migrateLatest } from '../db/migrations.ts'

export interface TestDb {
  /** A pool on a database of its own, created for this test file. */
  readonly db: Knex
  readonly url: string
  /** Closes the pool and drops the database. */
  destroy(): Promise<void>
}

/**
 * Creates a fresh database on the server named by DATABASE_URL (the test runner starts an embedded
 * one when it is unset) and, unless told otherwise, migrates it from empty to the latest version.
 */
export async function openTestDb(options: { migrate?: boolean } = {}): Promise<TestDb> {
  const serverUrl = loadConfig().database.url
  if (!serverUrl) throw new Error('DATABASE_URL is not set: run tests with `npm test`, which provides a database')
  const name = `answerline_test_${randomBytes(6).toString('hex')}`
  await withAdminClient(serverUrl, (client) => client.query(`create database ${name}`))
  const url = withDatabase(serverUrl, name)
  const db = createKnex(url, 5)
  if (options.migrate !== false) await migrateLatest(db)
  return {
    db,
    url,
    async destroy() {
      await db.destroy()
      await withAdminClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`))
    },
  }
}

/** Empties the given tables (and what references them) between tests. */
export async function truncate(db: Knex, tables: string[]): Promise<void> {
  await db.raw(`truncate ${tables.map((t) => `"${t}"`).join(', ')} cascade`)
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
