import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../testing/rejects.ts'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { enforceRateLimits, type RateLimit } from './rate-limiter.ts'

const limiter = suite<{ test: TestDb }>('rate limits: leaky buckets in PostgreSQL')
const FIVE_PER_MINUTE: RateLimit = { name: 'test.five', capacity: 5, perSeconds: 60 }

limiter.before(async (ctx) => {
  ctx.test = await openTestDb()
})
limiter.after((ctx) => ctx.test.destroy())

limiter('allows the capacity, then refuses with the seconds to wait', async ({ test }) => {
  for (let i = 0; i < 5; i++) await enforceRateLimits(test.db, [[FIVE_PER_MINUTE, '198.51.100.1']])
  const error = await rejects(enforceRateLimits(test.db, [[FIVE_PER_MINUTE, '198.51.100.1']]))
  assert.is(error.code, 'RATE_LIMITED')
  assert.ok(error.details.retryAfterSeconds >= 1 && error.details.retryAfterSeconds <= 12)
  await enforceRateLimits(test.db, [[FIVE_PER_MINUTE, '198.51.100.2']])
})

limiter('subjects are hashed and compared without case', async ({ test }) => {
  for (let i = 0; i < 5; i++) await enforceRateLimits(test.db, [[FIVE_PER_MINUTE, 'Jane@Example.com']])
  assert.is((await rejects(enforceRateLimits(test.db, [[FIVE_PER_MINUTE, 'jane@example.com']]))).code, 'RATE_LIMITED')
  const keys = (await test.db('rate_limit_buckets').select('key')).map((r: { key: string }) => r.key).join(' ')
  assert.not.ok(keys.toLowerCase().includes('jane'))
})

limiter('the bucket drains over time', async ({ test }) => {
  for (let i = 0; i < 6; i++) await enforceRateLimits(test.db, [[FIVE_PER_MINUTE, 'drain']]).catch(() => {})
  await test.db('rate_limit_buckets').update({ updated_at: test.db.raw(`now() - interval '1 minute'`) })
  await enforceRateLimits(test.db, [[FIVE_PER_MINUTE, 'drain']])
})

limiter('concurrent attempts across connections count exactly', async ({ test }) => {
  const results = await Promise.allSettled(Array.from({ length: 12 }, () => enforceRateLimits(test.db, [[FIVE_PER_MINUTE, 'burst']])))
  assert.is(results.filter((r) => r.status === 'fulfilled').length, 5)
})

limiter.run()
