import fp from 'fastify-plugin'
import objection from 'objection'
import type { Role } from '../config/config.ts'
import { createKnex, type Knex } from './knex.ts'
import { poolSizeFor } from './pool-size.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Knex
    /** Where read-only GraphQL queries go: the replica (DATABASE_REPLICA_URL) when set, else `db`. */
    dbReplica: Knex
  }
}

/**
 * Opens the PostgreSQL pool named by the config, sized for the role, binds the models to it, and
 * closes it with the app; with a replica configured, an api also opens a pool on the replica.
 */
export const dbPlugin = fp<{ role?: Role }>(
  async (app, options) => {
    const role = options.role ?? 'all'
    const { url, replicaUrl } = app.config.database
    if (!url) throw new Error('database.url must be resolved (embedded or DATABASE_URL) before the app is built')
    const poolMax = poolSizeFor(app.config, role)
    const db = createKnex(url, poolMax, app.log)
    objection.Model.knex(db)
    app.decorate('db', db)
    // Workers write what they read (jobs, deliveries, calls), so only the api reads from a replica.
    const replica = replicaUrl && role !== 'worker' ? createKnex(replicaUrl, poolMax, app.log) : null
    app.decorate('dbReplica', replica ?? db)
    app.addHook('onClose', async () => {
      await Promise.all([db.destroy(), replica?.destroy()])
    })
  },
  { name: 'db', dependencies: ['config'] },
)
