import knexFactory, { type Knex } from 'knex'
import pg from 'pg'

// int8 (bigint) columns hold counts and byte sizes that stay far below 2^53; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10))

export type { Knex }

/** Where knex reports pool and driver trouble; defaults to knex's own console output. */
export interface DbLogger {
  warn(message: unknown): void
  error(message: unknown): void
}

/** Opens a knex pool on a PostgreSQL connection string. */
export function createKnex(url: string, poolMax = 10, logger?: DbLogger): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'answerline' },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
    ...(logger && {
      log: {
        warn: (message: unknown) => logger.warn({ db: String(message) }),
        error: (message: unknown) => logger.error({ db: String(message) }),
        deprecate: (method: string, alternative: string) => logger.warn({ db: `${method} is deprecated, use ${alternative}` }),
        debug: () => {},
      },
    }),
  })
}
