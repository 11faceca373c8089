import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type Client } from 'graphql-ws'
import { Redis } from 'ioredis'
import pino from 'pino'
import twilio from 'twilio'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { toGlobalId as g } from './graphql/relay/global-id.ts'
import { startFakeOpenAI, type FakeOpenAI } from './leads/testing/fake-openai.ts'
import { eventually, modelAnswer } from './leads/testing/lead-fixture.ts'
import { startFakeRealtime, type FakeRealtime } from './voice/testing/fake-realtime.ts'
import { callSid, insertVoiceBusiness, type VoiceBusiness } from './voice/testing/voice-fixture.ts'
import { JobQueue } from './core/index.ts'
import { startEmbeddedS3, type EmbeddedS3 } from './core/storage/embedded-s3.ts'
import { insertApiKey } from './core/testing/accounts.ts'
import { testRedisUrl, uniqueChannelPrefix } from './core/testing/redis.ts'
import { openTestDb, type TestDb } from './core/testing/test-db.ts'
import { killProcess, processEnvironment, startProcess } from './core/testing/worker-process.ts'

const JOBS = 1_000
const TWILIO_AUTH_TOKEN = 'scale-out-auth-token-0123456789'
const WORKER_KEYS = ['sk-worker-1', 'sk-worker-2'] as const
// Four processes boot one after another, on a machine that may be running other suites too.
const START_TIMEOUT_MS = 60_000

interface Ctx {
  redisUrl: string | null
  prefix: string
  redis: Redis
  test: TestDb
  dir: string
  store: EmbeddedS3
  realtime: FakeRealtime
  openai: FakeOpenAI
  processes: ChildProcess[]
  apiA: string
  apiB: string
  workers: [number, number]
  business: VoiceBusiness
  apiKey: string
}

/**
 * Answerline as it runs scaled out: two `--role api` and two `--role worker` processes on one
 * PostgreSQL database and one Redis, nothing shared in memory. Each process has its own port and
 * the test plays the load balancer, sending each request to the instance it chooses.
 */
const scale = suite<Ctx>('scale-out: two api and two worker processes on one PostgreSQL and one Redis')

// uvu counts a failing hook as failed tests without saying why; the reason is printed here.
scale.before((ctx) => setup(ctx).catch((error) => {
  console.error(error)
  throw error
}))

async function setup(ctx: Ctx): Promise<void> {
  ctx.redisUrl = await testRedisUrl('the scale-out test')
  if (!ctx.redisUrl) return
  ctx.prefix = uniqueChannelPrefix()
  ctx.redis = new Redis(ctx.redisUrl)
  ctx.test = await openTestDb()
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-scale-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: 'scale-test' })
  ctx.realtime = await startFakeRealtime()
  ctx.openai = await startFakeOpenAI(() => ({ content: modelAnswer() }))
  ctx.processes = []
  const shared = {
    TWILIO_AUTH_TOKEN,
    WORKER_SECRET: 'scale-out-worker-secret-0123456789abcdef',
    AUTH_JWT_KEYS: `scale=${'k'.repeat(40)}`,
    AUTH_PEPPER: 'p'.repeat(40),
    REDIS_URL: ctx.redisUrl,
    REDIS_CHANNEL_PREFIX: ctx.prefix,
    OPENAI_REALTIME_URL: ctx.realtime.url,
    OPENAI_BASE_URL: ctx.openai.baseUrl,
    OPENAI_MAX_RETRIES: '0',
    JOBS_POLL_SECONDS: '0.5',
    JOBS_CONCURRENCY: '8',
    S3_ENDPOINT: ctx.store.endpoint,
    S3_ACCESS_KEY_ID: ctx.store.accessKeyId,
    S3_SECRET_ACCESS_KEY: ctx.store.secretAccessKey,
    S3_BUCKET: 'scale-test',
  }
  // Each process's port is chosen as it starts (and again should another process take it first).
  const start = async (role: 'api' | 'worker', extra: Record<string, string> = {}) => {
    const started = await startProcess(role, processEnvironment(ctx.test.url, ctx.dir, { ...shared, ...extra }), undefined, START_TIMEOUT_MS)
    ctx.processes.push(started.child)
    return started.port
  }
  // One at a time: the first installs the job queue's schema and queues, and on a busy machine
  // several booting at once would each miss their start timeout.
  const apiA = await start('api')
  const apiB = await start('api')
  // Each worker signs its model calls with a key of its own, so the fake can tell them apart.
  const worker1 = await start('worker', { API_INTERNAL_URL: `http://127.0.0.1:${apiA}`, OPENAI_API_KEY: WORKER_KEYS[0] })
  const worker2 = await start('worker', { API_INTERNAL_URL: `http://127.0.0.1:${apiB}`, OPENAI_API_KEY: WORKER_KEYS[1] })
  ctx.apiA = `http://127.0.0.1:${apiA}`
  ctx.apiB = `http://127.0.0.1:${apiB}`
  ctx.workers = [worker1, worker2]
  ctx.business = await insertVoiceBusiness(ctx.test.db, { minutes: 1000 })
  ctx.apiKey = (await insertApiKey(ctx.test.db, ctx.business.organizationId, ['business:read', 'calls:read', 'leads:read'])).secret
}

scale.after(async (ctx) => {
  if (!ctx.redisUrl) return
  await Promise.all(ctx.processes.map(killProcess))
  ctx.redis.disconnect()
  await ctx.realtime.close()
  await ctx.openai.close()
  await ctx.store.stop()
  await ctx.test.destroy()
  rmSync(ctx.dir, { recursive: true, force: true })
})

/** A graphql-ws subscription on `apiUrl`, collecting what it hears. */
function subscribe(apiUrl: string, apiKey: string, query: string, variables: Record<string, unknown>): { client: Client; heard: any[] } {
  const client = createClient({ url: `${apiUrl.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${apiKey}` } })
  const heard: any[] = []
  client.subscribe({ query, variables }, { next: (value) => heard.push(value.data), error: (error) => heard.push({ error }), complete: () => {} })
  return { client, heard }
}

/** Resolves once some instance holds a Redis subscription to the domain event `topic`: events published after that reach it. */
const subscribedInRedis = (ctx: Ctx, topic: string) =>
  eventually(async () => {
    const [, count] = (await ctx.redis.pubsub('NUMSUB', `${ctx.prefix}${topic}`)) as [string, number]
    return count > 0
  }, 10_000)

/** Posts a form to an api instance's Twilio webhook, signed as Twilio signs it for that instance's public URL. */
async function postTwilio(apiUrl: string, path: string, params: Record<string, string>): Promise<Response> {
  const url = `${apiUrl}${path}`
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, url, params) },
    body: new URLSearchParams(params),
  })
}

scale('a subscriber on api A hears callChanged for a call whose webhooks went to api B and whose media stream went to worker 2', async (ctx) => {
  if (!ctx.redisUrl) return
  const { client, heard } = subscribe(ctx.apiA, ctx.apiKey, 'subscription($b: ID!) { callChanged(businessId: $b) { id status durationSeconds } }', { b: g('Business', ctx.business.businessId) })
  try {
    await subscribedInRedis(ctx, 'call.completed')
    const sid = callSid()
    assert.is((await postTwilio(ctx.apiB, '/voice/inbound', { CallSid: sid, From: '+15551234567', To: ctx.business.number })).status, 200)
    const answer = await postTwilio(ctx.apiB, '/voice/consent', { CallSid: sid, Digits: '1' })
    assert.is(answer.status, 200)
    const twiml = await answer.text()
    const callToken = twiml.match(/name="callToken" value="([^"]+)"/)?.[1]
    assert.ok(callToken, `api B hands the call to a media stream: ${twiml}`)

    const streamUrl = `ws://127.0.0.1:${ctx.workers[1]}/voice/stream`
    const stream = new WebSocket(streamUrl, { headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, streamUrl, {}) } })
    stream.on('error', () => {})
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject))
    const greeted = new Promise<void>((resolve) => stream.on('message', (data: Buffer) => JSON.parse(data.toString()).event === 'media' && resolve()))
    stream.send(JSON.stringify({ event: 'start', streamSid: 'MZscale', start: { streamSid: 'MZscale', callSid: sid, customParameters: { callToken } } }))
    await greeted
    ctx.realtime.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_s1', content_index: 0, transcript: 'My boiler is leaking, please send someone.' })
    const call = await ctx.test.db('calls').where({ twilio_call_sid: sid }).first('id')
    // Worker 2 writes the transcript through the api as the call goes.
    await eventually(async () => (await ctx.test.db('transcript_segments').where({ call_id: call.id, speaker: 'caller' }).first()) ?? false, 10_000)
    stream.send(JSON.stringify({ event: 'stop' }))
    stream.close()

    const status = await postTwilio(ctx.apiB, '/voice/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '31', SequenceNumber: '5' })
    assert.is(status.status, 204)
    await eventually(async () => heard.length > 0, 5_000)
    assert.equal(heard, [{ callChanged: { id: g('Call', call.id), status: 'COMPLETED', durationSeconds: 31 } }])
    assert.is(ctx.realtime.connections, 1, 'one media session, on worker 2')
  } finally {
    await client.dispose()
  }
})

scale(`${JOBS} jobs enqueued run exactly once across the two workers, and their events reach a subscriber on api A`, async (ctx) => {
  if (!ctx.redisUrl) return
  const db = ctx.test.db
  const business = await insertVoiceBusiness(db)
  const ended = new Date(Date.now() - 60_000)
  const calls: Array<{ id: string }> = await db('calls')
    .insert(
      Array.from({ length: JOBS }, (_, i) => ({
        business_id: business.businessId,
        twilio_call_sid: callSid(),
        direction: 'inbound',
        from_number: `+1415555${String(i).padStart(4, '0')}`,
        to_number: business.number,
        status: 'completed',
        started_at: new Date(ended.getTime() - 30_000),
        ended_at: ended,
        answered_by: 'ai',
        quality: { endReason: 'twilio_stopped' },
      })),
    )
    .returning('id')
  await db('transcript_segments').insert(calls.map((call, i) => ({ call_id: call.id, business_id: business.businessId, seq: 0, speaker: 'caller', text: `Calling about ticket-${i}, please call me back.`, started_ms: 0, ended_ms: 2_500 })))

  const apiKey = (await insertApiKey(db, business.organizationId, ['leads:read'])).secret
  const { client, heard } = subscribe(ctx.apiA, apiKey, 'subscription($b: ID!) { leadChanged(businessId: $b) { kind lead { id } } }', { b: g('Business', business.businessId) })
  const queue = new JobQueue({ connectionString: ctx.test.url, supervise: false, poolMax: 4, expireSeconds: 300, pollSeconds: 2, concurrency: 1, log: pino({ level: 'silent' }) })
  try {
    await subscribedInRedis(ctx, 'lead.captured')
    queue.startInBackground()
    for (let i = 0; i < calls.length; i += 100) {
      await Promise.all(calls.slice(i, i + 100).map((call) => queue.enqueue('lead-extract', { callId: call.id }, { singletonKey: call.id })))
    }

    // This test's jobs only (the call above had its own lead extracted).
    const states = async () =>
      (await db.raw(`select j.state, j.retry_count, count(*)::int as n from pgboss.job j join calls c on c.id::text = j.data->>'callId' where j.name = 'lead-extract' and c.business_id = ? group by 1, 2 order by 1, 2`, [business.businessId])).rows as Array<{ state: string; retry_count: number; n: number }>
    await eventually(async () => (await states()).some((s) => s.state === 'completed' && s.n === JOBS), 150_000).catch(async () => {
      throw new Error(`the jobs did not all complete: ${JSON.stringify(await states())}, ${ctx.openai.requests.length} model requests`)
    })
    await eventually(async () => heard.length >= JOBS, 10_000)
    // Anything run twice would show by now.
    await new Promise((resolve) => setTimeout(resolve, 1_000))

    // Each run of the handler asks the model once; the ticket in the transcript names the job.
    const runs = ctx.openai.requests.map((r) => ({ worker: r.authorization, ticket: JSON.stringify(r.body.messages).match(/ticket-(\d+)/)?.[1] })).filter((r) => r.ticket !== undefined)
    assert.is(runs.length, JOBS, 'handler runs')
    assert.is(new Set(runs.map((r) => r.ticket)).size, JOBS, 'distinct jobs run')
    const perWorker = WORKER_KEYS.map((key) => runs.filter((r) => r.worker === `Bearer ${key}`).length)
    assert.is(perWorker.reduce((sum, n) => sum + n, 0), JOBS)
    assert.ok(perWorker.every((n) => n > 0), `both workers took jobs: ${perWorker.join(' + ')}`)

    assert.equal(await states(), [{ state: 'completed', retry_count: 0, n: JOBS }], 'every job completed on its first attempt')
    assert.is(Number((await db('leads').where({ business_id: business.businessId, extraction_method: 'model' }).count({ n: '*' }).first())?.n), JOBS)

    // Captured by the workers, heard on api A: each lead once.
    assert.ok(heard.every((h) => h.leadChanged?.kind === 'CAPTURED'), JSON.stringify(heard.find((h) => h.leadChanged?.kind !== 'CAPTURED')))
    assert.is(heard.length, JOBS)
    assert.is(new Set(heard.map((h) => h.leadChanged.lead.id)).size, JOBS)
  } finally {
    await client.dispose()
    await queue.stop(5_000)
  }
})

scale.run()
