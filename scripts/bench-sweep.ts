/**
 * npm run bench:sweep — the retention sweep over 1,000,000 expired synthetic calls (each with a
 * transcript line, every fourth with a lead), while another connection keeps inserting new calls
 * every 5 ms as live traffic would. Prints rows deleted per second and how long the concurrent
 * inserts waited (p50 / p99 / max), and ends with one JSON line. Recordings are left out (no
 * object store): their S3 round trips are the store's speed, not the sweep's.
 * Options: --calls 1000000 --businesses 20
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { createKnex } from '../core/index.ts'
import { sweepRetention } from '../privacy/index.ts'
import { openBenchDatabase, percentile, round } from './bench-support.ts'

const { values } = parseArgs({ options: { calls: { type: 'string', default: '1000000' }, businesses: { type: 'string', default: '20' } } })
const CALLS = Number(values.calls)
const BUSINESSES = Number(values.businesses)
const INSERT_EVERY_MS = 5

async function main(): Promise<void> {
  const bench = await openBenchDatabase('sweep')
  const db = bench.db
  try {
    const [org] = await db('organizations').insert({ kind: 'agency', name: 'Sweep bench' }).returning('id')
    const businesses: string[] = []
    for (let i = 0; i < BUSINESSES; i++) {
      const [business] = await db('businesses').insert({ organization_id: org.id, name: `Client ${i}`, time_zone: i % 2 ? 'America/New_York' : 'Europe/Berlin', retention_days: 30 }).returning('id')
      businesses.push(business.id)
    }
    const seeded = performance.now()
    // All expired: 100 to 200 days old, spread over the businesses.
    await db.raw(
      `insert into calls (business_id, direction, twilio_call_sid, from_number, to_number, status, started_at, ended_at)
       select (?::uuid[])[1 + (g % ?)], 'inbound', 'CA' || md5(g::text || ?), '+1555' || lpad((g % 10000000)::text, 7, '0'), '+15559870000', 'completed',
              now() - interval '100 days' - (g % 8640000) * interval '1 second', now() - interval '100 days' - (g % 8640000) * interval '1 second' + interval '90 seconds'
       from generate_series(1, ?) g`,
      [businesses, BUSINESSES, randomBytes(4).toString('hex'), CALLS],
    )
    await db.raw(`insert into transcript_segments (call_id, business_id, seq, speaker, text, started_ms) select id, business_id, 0, 'caller', 'Hello, I would like to book a visit', 0 from calls`)
    await db.raw(`insert into leads (business_id, call_id, extraction_method, fallback_reason) select business_id, id, 'fallback', 'unavailable' from calls where hashtext(id::text) % 4 = 0`)
    await db.raw('analyze')
    const seededRows = Number((await db.raw(`select (select count(*) from calls) + (select count(*) from transcript_segments) + (select count(*) from leads) as n`)).rows[0].n)
    process.stdout.write(`seeded ${seededRows} rows (${CALLS} calls, ${BUSINESSES} businesses) in ${round((performance.now() - seeded) / 1000)} s\n`)

    // Live traffic: a call row every few milliseconds on its own connection, timed.
    const live = createKnex(bench.url, 1)
    const liveCall = (businessId: string) => live('calls').insert({ business_id: businessId, direction: 'inbound', twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, from_number: '+15550001111', to_number: '+15559870000', status: 'in_progress' })
    // Connected and warm before timing: the pool's first connection is not a wait the sweep caused.
    await liveCall(businesses[0] as string)
    const waits: number[] = []
    let inserting = true
    const traffic = (async () => {
      let n = 0
      while (inserting) {
        const started = performance.now()
        await liveCall(businesses[n++ % BUSINESSES] as string)
        waits.push(performance.now() - started)
        await new Promise((resolve) => setTimeout(resolve, INSERT_EVERY_MS))
      }
    })()

    const started = performance.now()
    const counts = await sweepRetention({ db, storage: null, log: pino({ level: 'silent' }) })
    const seconds = (performance.now() - started) / 1000
    inserting = false
    await traffic
    await live.destroy()

    const deleted = counts.calls + counts.transcriptSegments + counts.consentRecords + counts.recordings + counts.leads + counts.contacts
    const sorted = [...waits].sort((a, b) => a - b)
    const slowest = waits.indexOf(sorted.at(-1) ?? NaN)
    const figures = {
      benchmark: 'sweep',
      calls: counts.calls,
      rowsDeleted: deleted,
      seconds: round(seconds),
      rowsPerSecond: Math.round(deleted / seconds),
      concurrentInserts: waits.length,
      insertWaitP50Ms: round(percentile(sorted, 50)),
      insertWaitP99Ms: round(percentile(sorted, 99)),
      insertWaitMaxMs: round(sorted.at(-1) ?? NaN),
    }
    process.stdout.write(`swept ${figures.calls} calls, ${deleted} rows in ${figures.seconds} s: ${figures.rowsPerSecond} rows/s (target 20000)\n`)
    process.stdout.write(`concurrent inserts: ${waits.length}, waited p50 ${figures.insertWaitP50Ms} ms, p99 ${figures.insertWaitP99Ms} ms, max ${figures.insertWaitMaxMs} ms (target max 100 ms; the slowest was insert #${slowest + 1})\n`)
    process.stdout.write(`${JSON.stringify(figures)}\n`)
  } finally {
    await bench.close()
  }
}

await main()
