import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { request, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from 'graphql-ws'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { processEnvironment, startProcess } from '../testing/worker-process.ts'

/**
 * An api instance told to stop (SIGTERM, as from a deploy) hands its traffic over without errors:
 * readiness fails at once, a request already in flight is answered, subscribers are told to
 * reconnect (1012) and, with the widgets' client settings, carry on at another instance.
 */
const drain = suite<{ test: TestDb; dir: string }>('lifecycle: an api instance shutting down on SIGTERM')

const GRACE_SECONDS = 1
const SUBSCRIPTION = 'subscription { serviceStatusChanged { state } }'

drain.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-api-drain-'))
})
drain.after(async (ctx) => {
  await ctx.test.destroy()
  rmSync(ctx.dir, { recursive: true, force: true })
})

async function startApi(ctx: { test: TestDb; dir: string }, name: string): Promise<{ api: ChildProcess; base: string }> {
  const dataDir = join(ctx.dir, name)
  mkdirSync(dataDir)
  const env = processEnvironment(ctx.test.url, dataDir, {
    SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
    TWILIO_AUTH_TOKEN: 'drain-test-auth-token-123456789',
    WORKER_SECRET: 'drain-test-worker-secret-0123456789abcdef',
    AUTH_JWT_KEYS: `drain=${'k'.repeat(40)}`,
    AUTH_PEPPER: 'p'.repeat(40),
    // A store is configured, so no embedded one starts; nothing here stores files.
    S3_ENDPOINT: 'http://127.0.0.1:9',
    S3_ACCESS_KEY_ID: 'unused',
    S3_SECRET_ACCESS_KEY: 'unused',
  })
  // Generous: the test machine may be busy, and each process loads the whole app.
  const { child, port } = await startProcess('api', env, undefined, 90_000)
  return { api: child, base: `http://127.0.0.1:${port}` }
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))))

async function until<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))])
  } finally {
    clearTimeout(timer)
  }
}

drain('SIGTERM: readiness fails at once, a request in flight is answered, subscribers get 1012 and resume elsewhere, then the port closes', async (ctx) => {
  const a = await startApi(ctx, 'a')
  const b = await startApi(ctx, 'b')
  // The load balancer, reduced to its essence: it sends new connections to A while A is ready.
  let aInRotation = true
  // The widgets' settings (widgets/core/graphql-client.ts): lazy, retrying for ever.
  const client = createClient({
    url: () => `${(aInRotation ? a.base : b.base).replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: () => sleep(100),
  })
  try {
    const closes: Array<{ code: number; reason: string }> = []
    const received: string[] = []
    client.on('closed', (event) => closes.push({ code: (event as { code: number }).code, reason: (event as { reason: string }).reason }))
    let connections = 0
    let connected = () => {}
    client.on('connected', () => {
      connections++
      connected()
    })
    const firstConnection = new Promise<void>((resolve) => (connected = resolve))
    client.subscribe({ query: SUBSCRIPTION }, { next: (value) => received.push((value.data as { serviceStatusChanged: { state: string } }).serviceStatusChanged.state), error: () => {}, complete: () => {} })
    await until(firstConnection, 5_000, 'the subscription to connect to A')
    await sleep(100)

    // A request whose body is still arriving when the signal comes.
    const body = JSON.stringify({ query: '{ serviceStatus { state } }' })
    const inFlight = request(`${a.base}/graphql`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' } })
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      inFlight.on('response', (response: IncomingMessage) => {
        let text = ''
        response.on('data', (chunk: Buffer) => (text += chunk.toString()))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }))
      })
      inFlight.on('error', reject)
    })
    inFlight.write(body.slice(0, 10))
    await sleep(100)

    const aExit = exited(a.api)
    const signalledAt = Date.now()
    a.api.kill('SIGTERM')
    let readiness: Response | null = null
    while (Date.now() - signalledAt < 1_000) {
      readiness = await fetch(`${a.base}/readyz`)
      if (readiness.status === 503) break
      await sleep(20)
    }
    assert.is(readiness?.status, 503, 'readiness fails within a second of SIGTERM')
    assert.equal(await readiness?.json(), { status: 'draining' })
    aInRotation = false
    assert.is((await fetch(`${a.base}/healthz`)).status, 200, 'still alive while load balancers notice')

    const reconnected = new Promise<void>((resolve) => (connected = resolve))
    await until(reconnected, 5_000, 'the subscription to reconnect to B')
    assert.ok(Date.now() - signalledAt >= GRACE_SECONDS * 1000, 'subscribers keep their socket through the grace period')
    assert.equal(closes[0], { code: 1012, reason: 'service restart: reconnect' })
    assert.equal(received, ['DRAINING'])
    assert.is(a.api.exitCode, null, 'A waits for the request in flight')

    inFlight.end(body.slice(10))
    const answer = await until(answered, 5_000, 'the request in flight')
    assert.equal([answer.status, JSON.parse(answer.text).data], [200, { serviceStatus: { state: 'READY' } }])
    assert.is(await until(aExit, 10_000, 'A to exit'), 0)
    assert.is(await fetch(`${a.base}/healthz`).then(() => 'answered', () => 'refused'), 'refused', 'A accepts no new connection')

    // The subscription now lives on B: B's own shutdown reaches it.
    await sleep(100)
    const bExit = exited(b.api)
    b.api.kill('SIGTERM')
    await until(bExit, 10_000, 'B to exit')
    assert.equal(received, ['DRAINING', 'DRAINING'])
    assert.is(connections, 2)
  } finally {
    // Not awaited: a client between retries settles its disposal only on its next attempt.
    void Promise.resolve(client.dispose()).catch(() => {})
    a.api.kill('SIGKILL')
    b.api.kill('SIGKILL')
  }
})

drain('a new subscription is refused while the instance drains', async (ctx) => {
  const a = await startApi(ctx, 'c')
  try {
    a.api.kill('SIGTERM')
    for (let i = 0; i < 50 && (await fetch(`${a.base}/readyz`)).status !== 503; i++) await sleep(20)
    const socket = new WebSocket(`${a.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws')
    const status = await until(
      new Promise<number>((resolve, reject) => {
        socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
        socket.once('open', () => reject(new Error('a draining instance accepted a new subscription socket')))
        socket.once('error', () => {})
      }),
      2_000,
      'the refusal',
    )
    assert.is(status, 503)
    assert.is(await until(exited(a.api), 10_000, 'the instance to exit'), 0)
  } finally {
    a.api.kill('SIGKILL')
  }
})

drain.run()
