import type { Knex } from 'knex'
import { JOBS_SCHEMA } from './job-queue.ts'

/** One queue's backlog: jobs waiting (new or awaiting a retry), running, failed, and when the oldest waiting one was queued. */
export interface QueueStats {
  name: string
  queued: number
  active: number
  failed: number
  oldestQueuedAt: Date | null
}

const WAITING = ['created', 'retry']

/** Every queue pg-boss knows, with its backlog; read by operators (GraphQL) and by /metrics. */
export async function jobQueueStats(db: Knex): Promise<QueueStats[]> {
  const queues: Array<{ name: string }> = await db.withSchema(JOBS_SCHEMA).from('queue').orderBy('name').select('name')
  const counts: Array<Record<string, any>> = await db
    .withSchema(JOBS_SCHEMA)
    .from('job')
    .select('name')
    .select(db.raw('count(*) filter (where state = any(?)) as queued', [WAITING]))
    .select(db.raw(`count(*) filter (where state = 'active') as active`))
    .select(db.raw(`count(*) filter (where state = 'failed') as failed`))
    .select(db.raw('min(created_on) filter (where state = any(?)) as oldest', [WAITING]))
    .groupBy('name')
  const byName = new Map(counts.map((c) => [c.name as string, c]))
  return queues.map(({ name }) => {
    const c = byName.get(name)
    return { name, queued: Number(c?.queued ?? 0), active: Number(c?.active ?? 0), failed: Number(c?.failed ?? 0), oldestQueuedAt: c?.oldest ?? null }
  })
}
