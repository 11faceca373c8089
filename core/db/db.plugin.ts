import fp from 'fastify-plugin'
import objection from 'objection'
import { createKnex, type Knex } from './knex.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Knex
  }
}

/** Opens the PostgreSQL pool named by the config, binds the models to it, and closes it with the app. */
export const dbPlugin = fp(
  async (app) => {
    const { url, poolMax } = app.config.database
    if (!url) throw new Error('database.url must be resolved (embedded or DATABASE_URL) before the app is built')
    const db = createKnex(url, poolMax, app.log)
    objection.Model.knex(db)
    app.decorate('db', db)
    app.addHook('onClose', async () => {
      await db.destroy()
    })
  },
  { name: 'db', dependencies: ['config'] },
)
