import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createKnex, type Knex } from '../db/knex.ts'
import { AppError } from '../errors/app-error.ts'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { enforceRateLimits, type RateLimit } from './rate-limiter.ts'

// The shape of a connector's vendor limit (connectors/delivery/dispatcher.ts): 30 requests per 10 s.
const VENDOR_LIMIT: RateLimit = { name: 'connector.hubspot', capacity: 30, perSeconds: 10 }
const WORKERS = 2
const ATTEMPTS_PER_WORKER = 60

/**
 * Worker processes share nothing but PostgreSQL: each has its own pool. Here each pool stands for
 * one worker, all drawing at once on one connector's bucket.
 */
const shared = suite<{ test: TestDb; pools: Knex[] }>('rate limits: one bucket across worker processes')

shared.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.pools = Array.from({ length: WORKERS }, () => createKnex(ctx.test.url, 8))
})
shared.after(async (ctx) => {
  await Promise.all(ctx.pools.map((pool) => pool.destroy()))
  await ctx.test.destroy()
})

async function attempt(pool: Knex, subject: string): Promise<'allowed' | 'limited'> {
  try {
    await enforceRateLimits(pool, [[VENDOR_LIMIT, subject]])
    return 'allowed'
  } catch (error) {
    if (error instanceof AppError && error.code === 'RATE_LIMITED') return 'limited'
    throw error
  }
}

shared('workers hammering one connector together get its capacity between them, not each', async ({ pools }) => {
  const started = Date.now()
  const outcomes = await Promise.all(pools.flatMap((pool) => Array.from({ length: ATTEMPTS_PER_WORKER }, () => attempt(pool, 'connector-1'))))
  const elapsedSeconds = (Date.now() - started) / 1000
  const allowed = outcomes.filter((o) => o === 'allowed').length
  // The bucket refills as the burst goes on: a little more than the capacity may pass, never one per worker.
  const ceiling = VENDOR_LIMIT.capacity + Math.ceil((elapsedSeconds * VENDOR_LIMIT.capacity) / VENDOR_LIMIT.perSeconds)
  assert.ok(allowed >= VENDOR_LIMIT.capacity && allowed <= ceiling, `${allowed} allowed in ${elapsedSeconds.toFixed(2)} s (expected ${VENDOR_LIMIT.capacity}..${ceiling})`)
})

shared('another connector has a bucket of its own, whichever worker draws on it', async ({ pools }) => {
  // Refilling too slowly to matter while the test runs.
  const slow: RateLimit = { ...VENDOR_LIMIT, capacity: 5, perSeconds: 3600 }
  const [first, second] = pools as [Knex, Knex]
  const take = async (pool: Knex, subject: string) => enforceRateLimits(pool, [[slow, subject]]).then(() => 'allowed', (error: AppError) => error.code)
  for (let i = 0; i < slow.capacity; i++) assert.is(await take(i % 2 ? first : second, 'connector-2'), 'allowed')
  assert.equal([await take(first, 'connector-2'), await take(second, 'connector-2')], ['RATE_LIMITED', 'RATE_LIMITED'])
  assert.is(await take(second, 'connector-3'), 'allowed')
})

shared.run()
