/**
 * npm run bench:webhooks — the inbound call webhook under a steady 200 requests/s on loopback.
 *
 * Starts Answerline in its own process (so the load generator does not share its event loop) on a
 * fresh database, seeds businesses with plenty of minutes, then sends signed Twilio inbound
 * webhooks on a fixed schedule (open loop: late responses do not slow the sender). Reports the
 * server time from each response's Server-Timing header and the latency the client saw, and ends
 * with one JSON line. Options: --rate 200 --seconds 15 --businesses 20.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Agent, request as httpRequest } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import twilio from 'twilio'
import { appendLedger, type Knex } from '../core/index.ts'
import { benchEnvironment, freePort, openBenchDatabase, percentile, round, startAnswerline, stopAnswerline } from './bench-support.ts'

const { values } = parseArgs({ options: { rate: { type: 'string', default: '200' }, seconds: { type: 'string', default: '15' }, businesses: { type: 'string', default: '20' } } })
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
const BUSINESSES = Number(values.businesses)
// Seconds of load before measuring, so the pool has opened its connections and the JIT has warmed up.
const WARMUP_SECONDS = 3



async function main() {
  const bench = await openBenchDatabase('bench')
  let server: ChildProcess | undefined
  try {
    const numbers = await seed(bench.db)
    const port = await freePort()
    const authToken = randomBytes(24).toString('hex')
    const publicBaseUrl = `http://127.0.0.1:${port}`
    server = await startAnswerline(process.execPath, ['cli.ts', 'start', '--role', 'api'], { ...benchEnvironment(port, bench.url, authToken), DATABASE_POOL_MAX: '20' }, port)
    let sequence = 0
    const request = () => {
      const params = { CallSid: `CA${(++sequence).toString(16).padStart(32, '0')}`, From: `+1555${String(sequence).padStart(7, '0')}`, To: numbers[sequence % numbers.length] as string }
      const signature = twilio.getExpectedTwilioSignature(authToken, `${publicBaseUrl}/voice/inbound`, params)
      return { body: new URLSearchParams(params).toString(), signature }
    }
    // node:http with keep-alive: far less CPU per request than fetch, leaving the cores to the server.
    const agent = new Agent({ keepAlive: true, maxSockets: 64 })
    const send = (req: { body: string; signature: string }) =>
      new Promise<{ ok: boolean; client: number; serverTime: number }>((resolve, reject) => {
        const started = performance.now()
        const outgoing = httpRequest(
          { agent, host: '127.0.0.1', port, path: '/voice/inbound', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(req.body), 'x-twilio-signature': req.signature } },
          (response) => {
            let text = ''
            response.setEncoding('utf8')
            response.on('data', (chunk: string) => (text += chunk))
            response.on('end', () => {
              const serverTime = Number(/app;dur=([\d.]+)/.exec(String(response.headers['server-timing'] ?? ''))?.[1])
              resolve({ ok: response.statusCode === 200 && text.includes('<Gather'), client: performance.now() - started, serverTime })
            })
          },
        )
        outgoing.on('error', reject)
        outgoing.end(req.body)
      })

    /** Sends `count` requests on a fixed schedule (open loop: a slow response does not delay the next request). */
    const drive = async (count: number) => {
      const interval = 1000 / RATE
      const results: Array<Promise<{ ok: boolean; client: number; serverTime: number }>> = []
      const t0 = performance.now()
      for (let i = 0; i < count; i++) {
        const wait = t0 + i * interval - performance.now()
        if (wait > 1) await sleep(wait)
        results.push(send(request()).catch(() => ({ ok: false, client: NaN, serverTime: NaN })))
      }
      const done = await Promise.all(results)
      return { done, elapsed: (performance.now() - t0) / 1000 }
    }
    await drive(RATE * WARMUP_SECONDS)
    const total = RATE * SECONDS
    const { done, elapsed } = await drive(total)
    const serverTimes = done.map((r) => r.serverTime).filter(Number.isFinite).sort((a, b) => a - b)
    const clientTimes = done.map((r) => r.client).filter(Number.isFinite).sort((a, b) => a - b)
    const errors = done.filter((r) => !r.ok).length
    const figures = {
      benchmark: 'webhooks',
      requests: total,
      targetRate: RATE,
      achievedRate: round(total / elapsed),
      serverP50Ms: round(percentile(serverTimes, 50)),
      serverP99Ms: round(percentile(serverTimes, 99)),
      serverMaxMs: round(serverTimes.at(-1) ?? NaN),
      clientP50Ms: round(percentile(clientTimes, 50)),
      clientP99Ms: round(percentile(clientTimes, 99)),
      errors,
    }
    process.stdout.write(`inbound webhook at ${RATE} req/s for ${SECONDS}s (${total} calls, ${BUSINESSES} businesses)\n`)
    process.stdout.write(`  server time   p50 ${figures.serverP50Ms} ms   p99 ${figures.serverP99Ms} ms   max ${figures.serverMaxMs} ms\n`)
    process.stdout.write(`  client seen   p50 ${figures.clientP50Ms} ms   p99 ${figures.clientP99Ms} ms\n`)
    process.stdout.write(`  achieved ${figures.achievedRate} req/s, errors ${errors}\n`)
    process.stdout.write(`${JSON.stringify(figures)}\n`)
  } finally {
    await stopAnswerline(server)
    await bench.close()
  }
}

/** Businesses with an always-open agent, a number each and a million minutes. */
async function seed(db: Knex): Promise<string[]> {
  const numbers: string[] = []
  for (let i = 0; i < BUSINESSES; i++) {
    const [org] = await db('organizations').insert({ kind: 'direct', name: `Bench ${i}` }).returning('id')
    const [business] = await db('businesses').insert({ organization_id: org.id, name: `Bench ${i}` }).returning('id')
    await db('agent_configs').insert({ business_id: business.id, version: 1, greeting: 'Hello', disclosure_text: 'You are speaking with an AI assistant.', consent_prompt: 'May we record this call?' })
    const number = `+1444${String(i).padStart(7, '0')}`
    await db('phone_numbers').insert({ business_id: business.id, e164: number, source: 'attached' })
    const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: `Bench ${i}`, plan: 'pro', subscription_status: 'active' }).returning('id')
    await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: 1_000_000 }]))
    numbers.push(number)
  }
  return numbers
}


await main()
