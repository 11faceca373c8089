import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import pino from 'pino'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { JobQueue, type EnqueueOptions, type JobRun } from './job-queue.ts'

const jobs = suite<{ test: TestDb; queues: JobQueue[] }>('job queue: durable, transactional, retried, run once')

const TEST_QUEUE = 'test-work'
const POLICY = { policy: 'standard', retryLimit: 2, retryDelay: 1, retryDelayMax: 2 } as const
const QUEUES = { [TEST_QUEUE]: POLICY }
// Queues keep the expiry they were created with, so the expiry test has a queue of its own.
const EXPIRING_QUEUE = 'test-expiring'

/** The queue with its test queues' names and payloads, which the product's typed queue map does not list. */
type TestQueue = Omit<JobQueue, 'enqueue' | 'work'> & {
  enqueue(name: string, data: object, options?: EnqueueOptions): Promise<string | null>
  work<T>(name: string, handler: (job: JobRun<T>) => Promise<void>): Promise<void>
}

function openQueue(ctx: { test: TestDb; queues: JobQueue[] }, overrides: { expireSeconds?: number; concurrency?: number } = {}): TestQueue {
  const queue = new JobQueue({
    connectionString: ctx.test.url,
    supervise: true,
    poolMax: 6,
    expireSeconds: overrides.expireSeconds ?? 60,
    pollSeconds: 0.5,
    concurrency: overrides.concurrency ?? 4,
    log: pino({ level: 'silent' }),
    queues: overrides.expireSeconds ? { [EXPIRING_QUEUE]: POLICY } : QUEUES,
  })
  ctx.queues.push(queue)
  return queue as unknown as TestQueue
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const jobRows = (ctx: { test: TestDb }, name: string) => ctx.test.db.withSchema('pgboss').from('job').where({ name }).select('id', 'state', 'retry_count', 'data')

jobs.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.queues = []
  await ctx.test.db.raw('create table work_done (job_id text not null, payload text not null)')
})
jobs.after.each(async (ctx) => {
  for (const queue of ctx.queues.splice(0)) await queue.stop(200)
  await ctx.test.db.raw('truncate work_done')
  await ctx.test.db.raw('delete from pgboss.job')
})
jobs.after(async (ctx) => {
  await ctx.test.destroy()
})

jobs('a job enqueued in a transaction exists only if the transaction commits', async (ctx) => {
  const queue = openQueue(ctx)
  await queue.start()
  await ctx.test.db
    .transaction(async (trx) => {
      await queue.enqueue(TEST_QUEUE, { payload: 'rolled back' }, { trx })
      throw new Error('abort')
    })
    .catch(() => {})
  await ctx.test.db.transaction(async (trx) => {
    await queue.enqueue(TEST_QUEUE, { payload: 'committed' }, { trx })
  })
  const rows = await jobRows(ctx, TEST_QUEUE)
  assert.equal(rows.map((r) => r.data.payload), ['committed'])
})

jobs('jobs enqueued before a restart run after it', async (ctx) => {
  const first = openQueue(ctx)
  await first.start()
  await first.enqueue(TEST_QUEUE, { payload: 'survives' })
  await first.stop(1_000)
  const second = openQueue(ctx)
  await second.start()
  await second.work<{ payload: string }>(TEST_QUEUE, async (job) => {
    await ctx.test.db('work_done').insert({ job_id: job.id, payload: job.data.payload })
  })
  await waitFor(async () => (await ctx.test.db('work_done')).length === 1)
  assert.equal((await ctx.test.db('work_done').first()).payload, 'survives')
})

jobs('a failing job is retried with backoff, then dead-lettered with its error', async (ctx) => {
  const queue = openQueue(ctx)
  await queue.start()
  const attempts: Array<{ retryCount: number; at: number }> = []
  await queue.work(TEST_QUEUE, async (job: JobRun<object>) => {
    attempts.push({ retryCount: job.retryCount, at: Date.now() })
    throw new Error(`provider down (attempt ${job.retryCount})`)
  })
  const id = await queue.enqueue(TEST_QUEUE, { payload: 'doomed' })
  await waitFor(async () => (await jobRows(ctx, 'dead-letter')).length === 1, 20_000)
  assert.equal(attempts.map((a) => a.retryCount), [0, 1, 2], 'the first try and two retries')
  assert.ok((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0) >= 900, 'waits before retrying')
  const failed = await ctx.test.db.withSchema('pgboss').from('job').where({ id }).first('state', 'output')
  assert.is(failed.state, 'failed')
  assert.match(JSON.stringify(failed.output), /provider down \(attempt 2\)/)
  const [dead] = await jobRows(ctx, 'dead-letter')
  assert.equal(dead?.data, { payload: 'doomed' })
})

jobs('two workers share a queue and run each of 200 jobs exactly once', async (ctx) => {
  const a = openQueue(ctx)
  const b = openQueue(ctx)
  await a.start()
  await b.start()
  for (const queue of [a, b]) {
    await queue.work<{ payload: string }>(TEST_QUEUE, async (job) => {
      await ctx.test.db('work_done').insert({ job_id: job.id, payload: job.data.payload })
    })
  }
  for (let i = 0; i < 200; i++) await a.enqueue(TEST_QUEUE, { payload: String(i) })
  await waitFor(async () => Number((await ctx.test.db('work_done').count('* as n').first())?.n) >= 200, 30_000)
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const runs = await ctx.test.db('work_done').select('payload').count('* as n').groupBy('payload')
  assert.is(runs.length, 200)
  assert.ok(runs.every((r) => Number(r.n) === 1), 'no job ran twice')
})

jobs('a job lost with its worker is retried once it expires', async (ctx) => {
  // One slot, held by a handler that never returns: like a dead process, it takes nothing more.
  const lost = openQueue(ctx, { expireSeconds: 1, concurrency: 1 })
  await lost.start()
  let release: () => void = () => {}
  await lost.work(EXPIRING_QUEUE, () => new Promise<void>((resolve) => (release = resolve)))
  await lost.enqueue(EXPIRING_QUEUE, { payload: 'orphaned' })
  await waitFor(async () => (await jobRows(ctx, EXPIRING_QUEUE))[0]?.state === 'active')
  const rescuer = openQueue(ctx, { expireSeconds: 1 })
  await rescuer.start()
  await rescuer.work<{ payload: string }>(EXPIRING_QUEUE, async (job) => {
    await ctx.test.db('work_done').insert({ job_id: job.id, payload: job.data.payload })
  })
  await waitFor(async () => (await ctx.test.db('work_done')).length === 1, 20_000)
  const [row] = await jobRows(ctx, EXPIRING_QUEUE)
  assert.ok(row.retry_count >= 1, 'ran again as a retry')
  release()
})

jobs('a restart with other settings updates the queue, so every job takes the current expiry', async (ctx) => {
  const first = openQueue(ctx)
  await first.start()
  await first.stop(200)
  const second = openQueue(ctx, { expireSeconds: 7 })
  await second.start()
  const queue = await ctx.test.db.withSchema('pgboss').from('queue').where({ name: EXPIRING_QUEUE }).first('expire_seconds')
  assert.is(queue.expire_seconds, 7)
  const third = openQueue(ctx, { expireSeconds: 9 })
  await third.start()
  assert.is((await ctx.test.db.withSchema('pgboss').from('queue').where({ name: EXPIRING_QUEUE }).first('expire_seconds')).expire_seconds, 9)
})

jobs.run()
