/**
 * Every hot query uses an index: the real code paths run against a database seeded with call
 * volume, and no statement's plan may scan a large table sequentially. The test seeds 200,000
 * calls (HOT_QUERY_CALLS overrides) to stay within the test runner's time limit; `npm run
 * bench:api` runs the same check on 1,000,000 calls before its load test.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { openTestDb, type TestDb } from './core/testing/test-db.ts'
import { exerciseHotQueries, recordPlans, reportPlansOf, seqScansOf, type StatementPlan } from './scripts/hot-query-plans.ts'
import { seedCallVolume, type CallVolume } from './scripts/seed-call-volume.ts'
import { createKnex } from './core/index.ts'

const CALLS = Number(process.env.HOT_QUERY_CALLS ?? 200_000)

const plans = suite<{ test: TestDb; volume: CallVolume; seen: Array<StatementPlan & { operation: string }> }>('hot queries: index use at volume')

plans.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.volume = await seedCallVolume(ctx.test.db, { calls: CALLS, businesses: 4 })
  ctx.seen = await exerciseHotQueries(ctx.test.url, ctx.volume)
})
plans.after(async (ctx) => {
  await ctx.test.destroy()
})

plans('every hot path was planned, PL/pgSQL statements included', (ctx) => {
  const operations = new Set(ctx.seen.map((p) => p.operation))
  for (const operation of ['call list, filter none', 'call list, filter temperature', 'call list, filter search by words', 'lead list, filter search', 'call detail', 'call gate', 'delivery claim', 'retention sweep']) {
    assert.ok(operations.has(operation), `no plan seen for ${operation}`)
  }
  const of = (operation: string) => ctx.seen.filter((p) => p.operation === operation).map((p) => p.query).join('\n')
  assert.match(of('call list, filter none'), /from "calls"/)
  assert.match(of('call detail'), /from "transcript_segments"/)
  assert.match(of('call gate'), /phone_numbers/)
  // The reservation runs inside answerline_reserve_minutes; its own statements are planned too.
  assert.match(of('call gate'), /from billing_accounts where id = p_account for update/)
  assert.match(of('delivery claim'), /update deliveries/)
  assert.match(of('retention sweep'), /calls/)
})

plans('no hot query scans a large table sequentially', async (ctx) => {
  const scans = await seqScansOf(ctx.test.db, ctx.seen)
  const described = scans.map((s) => `${s.table} (${s.rows} rows) in: ${s.query.replace(/\s+/g, ' ').slice(0, 300)}`)
  assert.equal(described, [])
})

plans('a statement that does scan a large table is caught', async (ctx) => {
  const database = new URL(ctx.test.url).pathname.slice(1)
  await reportPlansOf(ctx.test.db, database, true)
  const db = createKnex(ctx.test.url, 1)
  const stop = recordPlans()
  try {
    await db('calls').where({ summary: 'nobody said this' }).first()
  } finally {
    const seen = stop()
    await db.destroy()
    await reportPlansOf(ctx.test.db, database, false)
    const scans = await seqScansOf(ctx.test.db, seen)
    assert.equal(scans.map((s) => s.table), ['calls'])
  }
})

plans.run()
