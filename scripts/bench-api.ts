/**
 * npm run bench:api — the GraphQL API under load: a business with 1,000,000 calls (a lead for every
 * fourth), 100 concurrent clients for 30 s on loopback, each asking for the widget's call list (50
 * calls with their leads, at one of the first 20 pages' cursors), against one api instance and
 * then two (separate `answerline start --role api` processes, clients split round-robin).
 * The clients run in a child process (see bench-api-load.ts), whose CPU use is reported too.
 * Before the load, the hot-query plan check (hot-queries.test.ts) runs on the same 1,000,000 calls.
 * Last, one instance again at a steady offered load (--rate requests a second, sent whatever the
 * answers), whose latencies are the requests' own rather than the queue 100 looping clients build.
 * Prints requests/s, p50 and p99 for each, and ends with one JSON line. Target: p99 < 50 ms with one
 * instance. Options: --calls 1000000 --clients 100 --seconds 30 --rate 100
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { insertApiKey } from '../core/testing/accounts.ts'
import { toGlobalId } from '../graphql/relay/global-id.ts'
import { CALLS_QUERY } from '../widgets/call-log/call-log.queries.ts'
import { benchEnvironment, freePort, openBenchDatabase, percentile, round, ROOT, startAnswerline, stopAnswerline } from './bench-support.ts'
import type { LoadOptions, LoadResult } from './bench-api-load.ts'
import { exerciseHotQueries, seqScansOf } from './hot-query-plans.ts'
import { seedCallVolume } from './seed-call-volume.ts'

const { values } = parseArgs({ options: { calls: { type: 'string', default: '1000000' }, clients: { type: 'string', default: '100' }, seconds: { type: 'string', default: '30' }, rate: { type: 'string', default: '100' } } })
const CALLS = Number(values.calls)
const CLIENTS = Number(values.clients)
const SECONDS = Number(values.seconds)
// The open-loop run's offered load, in requests a second: well within one instance's capacity.
const RATE = Number(values.rate)
const PAGES = 20
const TARGET_P99_MS = 50
// Each API key has its own query budget (1,000 points a second); a page of 50 with leads costs
// several hundred, so the clients take turns with enough keys that the budget never answers.
const KEYS = 3000

interface Figures {
  instances: number
  requests: number
  errors: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  generatorCpuPercent: number
  /** CPU the api processes spent per answered request: what the figures would be on an idle machine follows from it. */
  serverCpuMsPerRequest: number
  /** The machine's one-minute load average at the end: the figures mean little on a busy machine. */
  loadAverage: number
}

/** User and system CPU time of a process so far, in milliseconds (Linux: /proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function load(ports: number[], bodies: string[], tokens: string[], pids: number[], rate?: number): Promise<Figures> {
  const cpuBefore = pids.map(cpuMsOf)
  const options: LoadOptions = { ports, clients: CLIENTS, seconds: SECONDS, bodies, tokens, rate }
  const generator = fork(new URL('./bench-api-load.ts', import.meta.url).pathname, { cwd: ROOT, serialization: 'advanced' })
  generator.send(options)
  const [result] = (await once(generator, 'message')) as [LoadResult]
  if (result.firstError) process.stdout.write(`  first error: ${result.firstError}\n`)
  const serverCpuMs = pids.reduce((sum, pid, i) => sum + cpuMsOf(pid) - (cpuBefore[i] as number), 0)
  const sorted = [...result.latenciesMs].sort((a, b) => a - b)
  return {
    instances: ports.length,
    requests: sorted.length,
    errors: result.errors,
    requestsPerSecond: Math.round(sorted.length / result.seconds),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    generatorCpuPercent: Math.round(result.cpuPercent),
    serverCpuMsPerRequest: round(serverCpuMs / Math.max(1, sorted.length)),
    loadAverage: round(loadavg()[0] as number),
  }
}

async function main(): Promise<void> {
  const bench = await openBenchDatabase('api')
  const servers: Array<Awaited<ReturnType<typeof startAnswerline>>> = []
  try {
    const seeding = performance.now()
    const volume = await seedCallVolume(bench.db, { calls: CALLS, businesses: 1 })
    await bench.db.raw('checkpoint')
    process.stdout.write(`seeded ${CALLS} calls for one business in ${round((performance.now() - seeding) / 1000)} s\n`)

    const plans = await exerciseHotQueries(bench.url, volume)
    const scans = await seqScansOf(bench.db, plans)
    process.stdout.write(`hot-query plans: ${plans.length} statements, ${scans.length} sequential scans of large tables\n`)
    for (const scan of scans) process.stdout.write(`  ${scan.table}: ${scan.query.replace(/\s+/g, ' ').slice(0, 200)}\n`)

    const tokens: string[] = []
    while (tokens.length < KEYS) {
      const keys = await Promise.all(Array.from({ length: 50 }, () => insertApiKey(bench.db, volume.organizationId, ['business:read', 'calls:read', 'leads:read'])))
      tokens.push(...keys.map((key) => key.secret))
    }
    const businessId = toGlobalId('Business', volume.businessIds[0] as string)

    const ports = [await freePort(), await freePort()]
    const environment = (port: number) => ({ ...benchEnvironment(port, bench.url, randomBytes(24).toString('hex')), AUTH_JWT_KEYS: `bench=${'k'.repeat(48)}`, AUTH_PEPPER: 'p'.repeat(48) })
    servers.push(await startAnswerline(process.execPath, ['cli.ts', 'start', '--role', 'api'], environment(ports[0] as number), ports[0] as number))

    // The first pages' cursors, read once, so the clients vary where they read from.
    const cursors: Array<string | null> = [null]
    for (let page = 1; page < PAGES; page++) {
      const response = await fetch(`http://127.0.0.1:${ports[0]}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[page]}` }, body: JSON.stringify({ query: CALLS_QUERY, variables: { businessId, first: 50, after: cursors.at(-1), firstPage: false } }) })
      const body = (await response.json()) as { data: { node: { calls: { pageInfo: { endCursor: string } } } } }
      cursors.push(body.data.node.calls.pageInfo.endCursor)
    }
    const bodies = cursors.map((after) => JSON.stringify({ query: CALLS_QUERY, variables: { businessId, first: 50, after, firstPage: after === null } }))

    const one = await load([ports[0] as number], bodies, tokens, servers.map((s) => s.pid as number))
    process.stdout.write(`one api instance:  ${one.requestsPerSecond} requests/s, p50 ${one.p50Ms} ms, p99 ${one.p99Ms} ms (target p99 < ${TARGET_P99_MS} ms), ${one.errors} errors, api CPU ${one.serverCpuMsPerRequest} ms per request, load generator CPU ${one.generatorCpuPercent}%, load average ${one.loadAverage}\n`)
    servers.push(await startAnswerline(process.execPath, ['cli.ts', 'start', '--role', 'api'], environment(ports[1] as number), ports[1] as number))
    const two = await load(ports as number[], bodies, tokens, servers.map((s) => s.pid as number))
    process.stdout.write(`two api instances: ${two.requestsPerSecond} requests/s, p50 ${two.p50Ms} ms, p99 ${two.p99Ms} ms, ${two.errors} errors, api CPU ${two.serverCpuMsPerRequest} ms per request, load generator CPU ${two.generatorCpuPercent}%, load average ${two.loadAverage}\n`)
    // A closed loop of 100 clients keeps 100 requests waiting whatever the speed, so its latency is
    // 100 / throughput; at a steady offered load below capacity the latency is the request's own.
    await stopAnswerline(servers.pop())
    const steady = await load([ports[0] as number], bodies, tokens, servers.map((s) => s.pid as number), RATE)
    process.stdout.write(`one api instance at ${RATE} requests/s offered (open loop): p50 ${steady.p50Ms} ms, p99 ${steady.p99Ms} ms, ${steady.requestsPerSecond} requests/s answered, ${steady.errors} errors, api CPU ${steady.serverCpuMsPerRequest} ms per request\n`)
    process.stdout.write(`${JSON.stringify({ benchmark: 'api', calls: CALLS, clients: CLIENTS, seconds: SECONDS, sequentialScans: scans.length, one, two, steady: { offeredPerSecond: RATE, ...steady } })}\n`)
  } finally {
    for (const server of servers) await stopAnswerline(server)
    await bench.close()
  }
}

await main()
