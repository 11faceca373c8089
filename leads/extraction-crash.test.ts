import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import type { Config } from '../core/index.ts'
import { killProcess, processEnvironment, startWorkerProcess } from '../core/testing/worker-process.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { e164, insertVoiceBusiness, type VoiceBusiness } from '../voice/testing/voice-fixture.ts'
import { startFakeOpenAI, type FakeOpenAI } from './testing/fake-openai.ts'
import { eventually, finishedCall, modelAnswer, type Line } from './testing/lead-fixture.ts'

/**
 * A worker killed outright (SIGKILL) while the model is answering loses no lead and makes no
 * second one: the job stays active until it expires, a new worker retries it, and the lead keyed
 * by its call is saved exactly once. A job that runs again after the lead exists changes nothing.
 */
type Ctx = { t: TestApp; ai: FakeOpenAI; business: VoiceBusiness; dir: string; workerEnv: NodeJS.ProcessEnv; workers: ChildProcess[] }
const crash = suite<Ctx>('leads: a worker killed mid-extraction')

// Short enough for a lost job to come back within the test. The api gets it too: every process
// that starts the queue sets its expiry, so all roles must agree.
const EXPIRE_SECONDS = '2'
// Long enough that the model request is still in flight when the worker is killed.
const MODEL_TIMEOUT_MS = '60000'
// Expiry sweep (every second here) plus pg-boss's first retry delay (5 s doubled, with jitter) plus a poll.
const RETRY_WAIT_MS = 45_000
// Longer than a poll plus an expiry: a duplicate job would have run by then.
const SETTLE_MS = 3_000

const TRANSCRIPT: Line[] = [
  ['agent', 'Thanks for calling Harbor Plumbing, how can I help?'],
  ['caller', 'Hi, this is Dana Whitfield, my kitchen sink is leaking.'],
]

const answerFor = (phone: string) =>
  modelAnswer({ name: { value: 'Dana Whitfield', confidence: 0.95, segment: 1 }, phone: { value: phone, confidence: 0.9, segment: null } })

const leadsOf = (ctx: Ctx, callId: string) => ctx.t.test.db('leads').where({ call_id: callId })
const jobsOf = (ctx: Ctx, callId: string): Promise<Array<{ id: string; state: string }>> =>
  ctx.t.test.db.withSchema('pgboss').from('job').where({ name: 'lead-extract' }).whereRaw("data->>'callId' = ?", [callId]).select('id', 'state')

async function startWorker(ctx: Ctx): Promise<ChildProcess> {
  const { worker } = await startWorkerProcess(ctx.workerEnv)
  ctx.workers.push(worker)
  return worker
}

crash.before(async (ctx) => {
  ctx.ai = await startFakeOpenAI()
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-lead-crash-'))
  const shared = {
    TWILIO_AUTH_TOKEN: 'lead-crash-auth-token-123456789',
    WORKER_SECRET: 'lead-crash-worker-secret-0123456789abcdef',
    AUTH_JWT_KEYS: `crash=${'k'.repeat(40)}`,
    AUTH_PEPPER: 'p'.repeat(40),
    JOBS_EXPIRE_SECONDS: EXPIRE_SECONDS,
    JOBS_POLL_SECONDS: '0.5',
  }
  ctx.t = await openTestApp((config: Config) => buildApp(config, { role: 'api' }), shared)
  ctx.workerEnv = processEnvironment(ctx.t.test.url, ctx.dir, {
    ...shared,
    // A configured store keeps the worker from starting an embedded one; no call here touches it.
    S3_ENDPOINT: 'http://127.0.0.1:9',
    S3_ACCESS_KEY_ID: 'unused',
    S3_SECRET_ACCESS_KEY: 'unused',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: ctx.ai.baseUrl,
    OPENAI_TIMEOUT_MS: MODEL_TIMEOUT_MS,
    OPENAI_MAX_RETRIES: '0',
  })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000 })
  ctx.workers = []
})
crash.before.each((ctx) => {
  ctx.ai.script = []
  ctx.ai.requests = []
})
crash.after.each(async (ctx) => {
  await Promise.all(ctx.workers.map(killProcess))
  ctx.workers = []
})
crash.after(async (ctx) => {
  await ctx.ai.close()
  await ctx.t.close()
  rmSync(ctx.dir, { recursive: true, force: true })
})

crash('killed while the model answers: after a restart the lead exists exactly once, from the model', async (ctx) => {
  const from = e164()
  ctx.ai.script.push({ hang: true })
  ctx.ai.respond = () => ({ content: answerFor(from) })
  const first = await startWorker(ctx)
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT, { from })
  await eventually(async () => ctx.ai.requests.length > 0)
  await killProcess(first)

  assert.is((await leadsOf(ctx, callId)).length, 0, 'no lead while the model had not answered')
  assert.equal((await jobsOf(ctx, callId)).map((job) => job.state), ['active'], 'the job is left active by the dead worker')

  await startWorker(ctx)
  await eventually(async () => (await leadsOf(ctx, callId)).length > 0, RETRY_WAIT_MS)
  await sleep(SETTLE_MS)

  const leads = await leadsOf(ctx, callId)
  assert.is(leads.length, 1)
  assert.equal([leads[0].extraction_method, leads[0].name, leads[0].phone], ['model', 'Dana Whitfield', from])
  assert.is((await ctx.t.test.db('contacts').where({ business_id: ctx.business.businessId, phone: from })).length, 1)
  assert.equal((await jobsOf(ctx, callId)).map((job) => job.state), ['completed'], 'the same job, retried and completed; none left behind')
  assert.ok(ctx.ai.requests.length >= 2, `the retry asked the model again (${ctx.ai.requests.length} requests)`)
})

crash('the job run again once a model lead exists changes nothing and asks the model nothing', async (ctx) => {
  const from = e164()
  ctx.ai.respond = () => ({ content: answerFor(from) })
  await startWorker(ctx)
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT, { from })
  const [firstJob] = await eventually(async () => {
    const jobs = await jobsOf(ctx, callId)
    return jobs.length === 1 && jobs[0]?.state === 'completed' ? jobs : undefined
  })
  const before = await leadsOf(ctx, callId).first()
  assert.is(before.extraction_method, 'model')
  const requests = ctx.ai.requests.length

  const again = await ctx.t.app.jobs.enqueue('lead-extract', { callId }, { singletonKey: callId })
  assert.ok(again, 'a second job, not collapsed into the completed one')
  assert.is.not(again, firstJob?.id)
  await eventually(async () => (await jobsOf(ctx, callId)).every((job) => job.state === 'completed'))
  await sleep(SETTLE_MS)

  const leads = await leadsOf(ctx, callId)
  assert.is(leads.length, 1)
  assert.equal([leads[0].id, leads[0].updated_at, leads[0].extracted_at], [before.id, before.updated_at, before.extracted_at])
  assert.equal((await jobsOf(ctx, callId)).map((job) => job.state), ['completed', 'completed'])
  assert.is(ctx.ai.requests.length, requests, 'no further model request')
  assert.is((await ctx.t.test.db('contacts').where({ business_id: ctx.business.businessId, phone: from })).length, 1)
})

crash.run()
