/**
 * npm run bench:deliveries — webhook deliveries per second, and the time from enqueue to arrival.
 *
 * A fresh database gets businesses, each with finished calls (with transcripts) and one webhook
 * connector pointing at a receiver in this process (it answers 200 at once). Answerline runs in
 * its own process as `--role worker`. This process then writes call.completed events into the
 * outbox at a steady rate (open loop, in small transactions, as finishing calls do), noting when
 * each committed; the receiver notes when each arrives (by webhook-id, the event id) and checks
 * its signature. After a warm-up, it reports deliveries per second and the enqueue-to-arrival
 * latency (p50 / p99 / max), and ends with one JSON line.
 * Options: --rate 600 --seconds 15 --businesses 20 --concurrency 64
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { Webhook } from 'standardwebhooks'
import { recordDeliveries, type Knex, type SealingKey } from '../core/index.ts'
import { sealCredentials } from '../connectors/connector-store.ts'
import { rotateSecret } from '../connectors/webhook/webhook-secrets.ts'
import { benchEnvironment, freePort, openBenchDatabase, percentile, round, startAnswerline, stopAnswerline } from './bench-support.ts'

const { values } = parseArgs({ options: { rate: { type: 'string', default: '600' }, seconds: { type: 'string', default: '15' }, businesses: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '64' } } })
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
const BUSINESSES = Number(values.businesses)
const WARMUP_SECONDS = 3
const CALLS_PER_BUSINESS = 20
// Events are written in batches every TICK_MS, as many calls finishing at once would.
const TICK_MS = 20

async function seed(db: Knex, keys: SealingKey[], url: string): Promise<{ calls: Array<{ id: string; businessId: string }>; secret: string }> {
  const credentials = rotateSecret(null)
  const calls: Array<{ id: string; businessId: string }> = []
  const [org] = await db('organizations').insert({ kind: 'agency', name: 'Bench agency' }).returning('id')
  for (let b = 0; b < BUSINESSES; b++) {
    const [business] = await db('businesses').insert({ organization_id: org.id, name: `Bench business ${b}` }).returning('id')
    const [connector] = await db('connectors').insert({ business_id: business.id, kind: 'webhook', name: 'Bench hook', config: { url }, event_types: ['call.completed'] }).returning('id')
    await db('connectors').where({ id: connector.id }).update(sealCredentials(keys, connector.id, credentials))
    for (let c = 0; c < CALLS_PER_BUSINESS; c++) {
      const [call] = await db('calls')
        .insert({ business_id: business.id, twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, direction: 'inbound', from_number: `+1415555${String(1000 + c).padStart(4, '0')}`, to_number: '+14155550000', status: 'completed', ended_at: db.fn.now(), duration_seconds: 95, summary: 'Caller asked for a quote.' })
        .returning('id')
      await db('transcript_segments').insert([0, 1, 2, 3].map((seq) => ({ call_id: call.id, business_id: business.id, seq, speaker: seq % 2 ? 'caller' : 'agent', text: 'A sentence of an ordinary phone conversation about a plumbing job.', started_ms: seq * 3000 })))
      calls.push({ id: call.id, businessId: business.id })
    }
  }
  return { calls, secret: credentials.secrets[0]?.secret as string }
}

async function main() {
  const bench = await openBenchDatabase('deliveries')
  let worker: ChildProcess | undefined
  const arrivals = new Map<string, number>()
  let badSignatures = 0
  let verifier: Webhook | null = null
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const id = String(request.headers['webhook-id'])
      if (!arrivals.has(id)) arrivals.set(id, performance.now())
      try {
        verifier?.verify(Buffer.concat(chunks).toString('utf8'), request.headers as Record<string, string>)
      } catch {
        badSignatures++
      }
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()))
  try {
    const port = await freePort()
    const keys = [{ kid: 'bench', key: randomBytes(32) }]
    const env = {
      ...benchEnvironment(port, bench.url, randomBytes(24).toString('hex')),
      CONNECTOR_KEYS: `bench=${keys[0]?.key.toString('base64')}`,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      DELIVERY_CONCURRENCY: values.concurrency as string,
      DATABASE_POOL_MAX: '20',
    }
    const { calls, secret } = await seed(bench.db, keys, `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`)
    verifier = new Webhook(secret)
    worker = await startAnswerline(process.execPath, ['cli.ts', 'start', '--role', 'worker'], env, port)

    const enqueued = new Map<string, number>()
    const perTick = (RATE * TICK_MS) / 1000
    let owed = 0
    let sent = 0
    const started = performance.now()
    const measuredFrom = started + WARMUP_SECONDS * 1000
    while (performance.now() - started < SECONDS * 1000) {
      owed += perTick
      const batch = Math.floor(owed)
      owed -= batch
      const tickStart = performance.now()
      const ids = await bench.db.transaction(async (trx) => {
        const batchIds: string[] = []
        for (let i = 0; i < batch; i++) {
          const call = calls[(sent + i) % calls.length] as { id: string; businessId: string }
          batchIds.push((await recordDeliveries(trx, { type: 'call.completed', businessId: call.businessId, callId: call.id })).eventId)
        }
        return batchIds
      })
      const committed = performance.now()
      for (const id of ids) enqueued.set(id, committed)
      sent += batch
      await sleep(Math.max(0, TICK_MS - (performance.now() - tickStart)))
    }
    const deadline = performance.now() + 30_000
    while (arrivals.size < enqueued.size && performance.now() < deadline) await sleep(50)

    const measured = [...enqueued].filter(([, at]) => at >= measuredFrom)
    const latencies = measured.map(([id, at]) => (arrivals.has(id) ? (arrivals.get(id) as number) - at : Infinity)).sort((a, b) => a - b)
    const lost = latencies.filter((l) => l === Infinity).length
    const window = measured.filter(([id]) => arrivals.has(id)).map(([id]) => arrivals.get(id) as number)
    const span = (Math.max(...window) - Math.min(...window)) / 1000
    // Results are recorded in batches just after delivery: give the last batch a moment.
    const countDelivered = async () => Number((await bench.db('deliveries').where({ status: 'delivered' }).count('* as n').first())?.n ?? 0)
    for (let wait = 0; wait < 50 && (await countDelivered()) < arrivals.size; wait++) await sleep(100)
    const delivered = { n: await countDelivered() }
    const figures = {
      benchmark: 'deliveries',
      rate: RATE,
      seconds: SECONDS,
      enqueued: enqueued.size,
      delivered: Number(delivered?.n ?? 0),
      deliveriesPerSecond: round(window.length / span),
      latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? NaN) },
      lost,
      badSignatures,
    }
    process.stdout.write(`webhook deliveries: ${RATE}/s offered for ${SECONDS} s to ${BUSINESSES} endpoints, worker DELIVERY_CONCURRENCY ${values.concurrency}\n`)
    process.stdout.write(`  delivered        ${figures.delivered} of ${figures.enqueued}, ${figures.deliveriesPerSecond}/s after ${WARMUP_SECONDS} s warm-up\n`)
    process.stdout.write(`  enqueue->arrival p50 ${figures.latencyMs.p50} ms  p99 ${figures.latencyMs.p99} ms  max ${figures.latencyMs.max} ms\n`)
    process.stdout.write(`  lost ${lost}, bad signatures ${badSignatures}\n`)
    process.stdout.write(`${JSON.stringify(figures)}\n`)
    if (lost || badSignatures) process.exitCode = 1
  } finally {
    await stopAnswerline(worker)
    await new Promise((resolve) => receiver.close(resolve))
    await bench.close()
  }
}

await main()
