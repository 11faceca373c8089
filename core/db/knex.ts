import knexFactory, { type Knex } from 'knex'
import pg from 'pg'

// int8 (bigint) columns hold counts and byte sizes that stay far below 2^53; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10))

export type { Knex }

/** Opens a knex pool on a PostgreSQL connection string. */
export function createKnex(url: string, poolMax = 10): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'answerline' },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
  })
}
