/**
 * npm run bench:sweep — the retention sweep over 1,000,000 expired synthetic calls (each with a
 * transcript line, every fourth with a lead), while another thread keeps inserting new calls
 * every 5 ms as live traffic would. Prints rows deleted per second and how long the concurrent
 * inserts waited (p50 / p99 / max), and ends with one JSON line. Recordings are left out (no
 * object store): their S3 round trips are the store's speed, not the sweep's.
 * Options: --calls 1000000 --businesses 20
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import pino from 'pino'
import { sweepRetention } from '../privacy/index.ts'
import { openBenchDatabase, percentile, round } from './bench-support.ts'
import type { TrafficOptions, TrafficResult } from './bench-sweep-traffic.ts'

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
    // The seed's gigabyte of WAL and dirty pages is written out now, not during the timed sweep:
    // a checkpoint still flushing the seed would stall the live inserts for reasons of its own.
    await db.raw('checkpoint')
    const seededRows = Number((await db.raw(`select (select count(*) from calls) + (select count(*) from transcript_segments) + (select count(*) from leads) as n`)).rows[0].n)
    process.stdout.write(`seeded ${seededRows} rows (${CALLS} calls, ${BUSINESSES} businesses) in ${round((performance.now() - seeded) / 1000)} s\n`)

    // Live traffic from another thread, as another process's would come.
    const traffic = new Worker(new URL('./bench-sweep-traffic.ts', import.meta.url), { workerData: { url: bench.url, businesses, everyMs: INSERT_EVERY_MS } satisfies TrafficOptions })
    const trafficResult = new Promise<TrafficResult>((resolve, reject) => {
      traffic.on('message', (message: TrafficResult | 'ready') => message !== 'ready' && resolve(message))
      traffic.once('error', reject)
    })
    await once(traffic, 'message')

    // PostgreSQL 17 moved the checkpoint counts from pg_stat_bgwriter to pg_stat_checkpointer.
    const checkpointCounts = Number((await db.raw('show server_version_num')).rows[0].server_version_num) >= 170000 ? 'select num_timed + num_requested from pg_stat_checkpointer' : 'select checkpoints_timed + checkpoints_req from pg_stat_bgwriter'
    const server = async () => (await db.raw(`select pg_current_wal_lsn() as lsn, (${checkpointCounts}) as checkpoints`)).rows[0] as { lsn: string; checkpoints: string }
    const before = await server()
    const startedAt = Date.now()
    const started = performance.now()
    const counts = await sweepRetention({ db, storage: null, log: pino({ level: 'silent' }) }).finally(() => traffic.postMessage('stop'))
    const seconds = (performance.now() - started) / 1000
    const after = await server()
    const walMegabytes = Number((await db.raw('select pg_wal_lsn_diff(?, ?) as bytes', [after.lsn, before.lsn])).rows[0].bytes) / 1048576
    const { waits, sentAt } = await trafficResult

    const deleted = counts.calls + counts.transcriptSegments + counts.consentRecords + counts.recordings + counts.leads + counts.contacts
    const sorted = [...waits].sort((a, b) => a - b)
    // The slowest few, with when they were sent, tell a stall at the start from one spread through the run.
    const slowest = waits
      .map((wait, i) => ({ wait, at: (sentAt[i] as number) - startedAt }))
      .sort((a, b) => b.wait - a.wait)
      .slice(0, 5)
      .map(({ wait, at }) => `${round(wait)} ms at ${round(at / 1000)} s`)
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
      walMegabytes: Math.round(walMegabytes),
      checkpoints: Number(after.checkpoints) - Number(before.checkpoints),
    }
    process.stdout.write(`swept ${figures.calls} calls, ${deleted} rows in ${figures.seconds} s: ${figures.rowsPerSecond} rows/s (target 20000)\n`)
    process.stdout.write(`concurrent inserts: ${waits.length}, waited p50 ${figures.insertWaitP50Ms} ms, p99 ${figures.insertWaitP99Ms} ms, max ${figures.insertWaitMaxMs} ms (target max 100 ms)\n`)
    process.stdout.write(`slowest inserts: ${slowest.join(', ')}\n`)
    // Each insert's commit waits for the write-ahead log to reach the disk, the sweep's share included.
    process.stdout.write(`the sweep wrote ${figures.walMegabytes} MB of write-ahead log; ${figures.checkpoints} checkpoints ran meanwhile\n`)
    process.stdout.write(`${JSON.stringify(figures)}\n`)
  } finally {
    await bench.close()
  }
}

await main()
