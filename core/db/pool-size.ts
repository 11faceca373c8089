import type { Config, Role } from '../config/config.ts'

// The api runs many short queries (a GraphQL page is a handful of index scans, a webhook two round
// trips): twenty connections keep a few PostgreSQL cores busy, and more only queue inside the server.
const API_CONNECTIONS = 20
// A worker's job handlers each hold a connection while they write; most of their time is spent
// waiting on providers (OpenAI, CRMs, Stripe) with none held. The delivery dispatcher claims and
// records in batches, and the media worker holds no database credentials at all.
const WORKER_CONNECTIONS_PER_JOB = 2
const WORKER_BASE_CONNECTIONS = 4

/**
 * Connections one process opens to PostgreSQL (its knex pool; pg-boss has its own small one):
 * DATABASE_POOL_MAX when set, else the role's default. `all` serves both roles in one process.
 */
export function poolSizeFor(config: Config, role: Role): number {
  if (config.database.poolMax !== null) return config.database.poolMax
  const worker = config.jobs.concurrency * WORKER_CONNECTIONS_PER_JOB + WORKER_BASE_CONNECTIONS
  if (role === 'api') return API_CONNECTIONS
  if (role === 'worker') return worker
  return API_CONNECTIONS + worker
}
