import fp from 'fastify-plugin'
import { pendingMigrations } from '../db/migrations.ts'

// A readiness probe that hangs is worse than one that fails: load balancers time out in seconds.
const READINESS_QUERY_TIMEOUT_MS = 2_000

interface Readiness {
  status: 'ready' | 'not_ready' | 'draining'
  checks: { database: 'ok' | 'unreachable'; migrations: 'current' | 'pending' | 'unknown' }
}

/**
 * /healthz answers while the process runs (liveness). /readyz answers 200 only when the database
 * answers and every migration this build knows has been applied, so traffic is not routed to an
 * instance that would fail on its first query, nor to one that is shutting down.
 */
export const healthPlugin = fp(
  async (app) => {
    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))

    app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
      if (app.lifecycle.draining) return reply.code(503).send({ status: 'draining' })
      const readiness = await checkReadiness(app.db)
      return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness)
    })
  },
  { name: 'health', dependencies: ['db', 'lifecycle'] },
)

async function checkReadiness(db: import('knex').Knex): Promise<Readiness> {
  try {
    await db.raw('select 1').timeout(READINESS_QUERY_TIMEOUT_MS, { cancel: true })
  } catch {
    return { status: 'not_ready', checks: { database: 'unreachable', migrations: 'unknown' } }
  }
  try {
    const pending = await pendingMigrations(db)
    const migrations = pending.length === 0 ? 'current' : 'pending'
    return { status: migrations === 'current' ? 'ready' : 'not_ready', checks: { database: 'ok', migrations } }
  } catch {
    return { status: 'not_ready', checks: { database: 'ok', migrations: 'unknown' } }
  }
}
