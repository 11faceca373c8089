import { readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Knex } from 'knex'

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))
const MIGRATION_FILE = /^\d{14}_[a-z0-9_]+\.ts$/

interface MigrationModule {
  up(knex: Knex): Promise<void>
  down(knex: Knex): Promise<void>
}

/**
 * Lists migrations from migrations/ and imports them as TypeScript modules. Knex's own directory
 * loader guesses module formats from file extensions; this source keeps the rule in one place.
 */
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    const files = await readdir(MIGRATIONS_DIR)
    return files.filter((file) => MIGRATION_FILE.test(file)).sort()
  }

  getMigrationName(migration: string): string {
    return migration
  }

  async getMigration(migration: string): Promise<MigrationModule> {
    return (await import(new URL(migration, `file://${MIGRATIONS_DIR}`).href)) as MigrationModule
  }
}

const migrationConfig: Knex.MigratorConfig = {
  migrationSource: new DirectoryMigrationSource(),
  tableName: 'knex_migrations',
}

/** Applies every pending migration; knex's lock table makes concurrent starts safe. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]]
  return applied
}

/** Reverts every migration, newest first. Used by tests that prove `down` works. */
export async function migrateToZero(db: Knex): Promise<void> {
  await db.migrate.rollback(migrationConfig, true)
}

/** Migrations known to this build that the database has not applied yet. */
export async function pendingMigrations(db: Knex): Promise<string[]> {
  const [, pending] = (await db.migrate.list(migrationConfig)) as [unknown[], Array<{ file: string } | string>]
  return pending.map((entry) => (typeof entry === 'string' ? entry : entry.file))
}
