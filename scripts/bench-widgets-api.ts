/**
 * The api of `npm run bench:widgets`, in a thread of its own: the browser driver (Playwright runs
 * in the benchmark's process and handles every protocol message of the browser there) would
 * otherwise share the api's event loop and delay its answers, as no api in production is delayed.
 * Seeds the demo, warms the api up, posts 'ready'; on any message, closes and posts 'closed'.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { buildApp } from '../app.ts'
import { DEMO_IDS } from '../core/demo/seed-demo.ts'
import { seedDemo, testConfig, type Knex } from '../core/index.ts'
import { insertApiKey } from '../core/testing/accounts.ts'
import { CALLS_QUERY } from '../widgets/call-log/call-log.queries.ts'

export interface BenchApiOptions {
  databaseUrl: string
  port: number
  rows: number
}

const API_WARMUP_REQUESTS = 100

/**
 * A running api has served this query many times: V8 has optimized the GraphQL execution and the
 * resolvers, and the first tens of requests of a fresh process are long behind it. The same query,
 * as the element sends it, warms this one up. Each request needs an answer with rows: the query
 * budget is per API key, so the warm-up uses keys of its own (one would run dry after about twenty
 * pages and then warm only the refusal) and leaves the page's key untouched.
 */
async function warmApi(base: string, db: Knex, rows: number): Promise<void> {
  const { businessId } = (await (await fetch(`${base}/demo-api/token?business=dental`)).json()) as { businessId: string }
  const keys = await Promise.all(Array.from({ length: Math.ceil(API_WARMUP_REQUESTS / 10) }, () => insertApiKey(db, DEMO_IDS.agency, ['business:read', 'calls:read', 'leads:read'])))
  for (let i = 0; i < API_WARMUP_REQUESTS; i++) {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[i % keys.length]?.secret}` },
      body: JSON.stringify({ query: CALLS_QUERY, variables: { businessId, first: rows, after: null, filter: null, firstPage: true } }),
    })
    const body = (await response.json()) as { data?: { node?: { calls?: { nodes: unknown[] } } }; errors?: Array<{ message: string }> }
    if (body.errors?.length || !body.data?.node?.calls?.nodes.length) throw new Error(`warming the api: ${body.errors?.[0]?.message ?? `HTTP ${response.status}, no calls`}`)
  }
}

const { databaseUrl, port, rows } = workerData as BenchApiOptions
const app = await buildApp(testConfig({ DATABASE_URL: databaseUrl, PORT: String(port) }))
await app.listen({ host: '127.0.0.1', port })
await seedDemo(app.db, { phoneNumber: app.config.demo.phoneNumber })
await warmApi(`http://127.0.0.1:${port}`, app.db, rows)
parentPort?.once('message', async () => {
  await app.close()
  parentPort?.postMessage('closed')
})
parentPort?.postMessage('ready')
