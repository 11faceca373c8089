import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import twilio from 'twilio'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../../app.ts'
import type { Config } from '../../core/index.ts'
import { startEmbeddedS3, type EmbeddedS3 } from '../../core/storage/embedded-s3.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { startFakeRealtime, type FakeRealtime } from '../testing/fake-realtime.ts'
import { callSid, insertVoiceBusiness, postTwilio, type VoiceBusiness } from '../testing/voice-fixture.ts'
import { freePort } from '../../core/testing/free-port.ts'
import { killProcess, processEnvironment, startWorkerProcess } from '../../core/testing/worker-process.ts'

/**
 * A media worker killed outright mid-call (SIGKILL: no shutdown code runs) loses nothing that
 * matters: the call and consent records, the transcript up to the last batch, and a recording row
 * for the interrupted upload are all in the database, written through the api as the call went.
 */
const crash = suite<{ t: TestApp; fake: FakeRealtime; store: EmbeddedS3; dir: string; business: VoiceBusiness; workerEnv: NodeJS.ProcessEnv }>('voice: a worker killed mid-call')


crash.before(async (ctx) => {
  ctx.fake = await startFakeRealtime()
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-crash-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: 'crash-test' })
  const apiPort = await freePort()
  const shared = {
    TWILIO_AUTH_TOKEN: 'crash-test-auth-token-123456789',
    WORKER_SECRET: 'crash-test-worker-secret-0123456789abcdef',
    AUTH_JWT_KEYS: `crash=${'k'.repeat(40)}`,
    AUTH_PEPPER: 'p'.repeat(40),
    OPENAI_REALTIME_URL: ctx.fake.url,
    S3_ENDPOINT: ctx.store.endpoint,
    S3_ACCESS_KEY_ID: ctx.store.accessKeyId,
    S3_SECRET_ACCESS_KEY: ctx.store.secretAccessKey,
    S3_BUCKET: 'crash-test',
  }
  ctx.t = await openTestApp((config: Config) => buildApp(config, { role: 'api' }), { ...shared, PORT: String(apiPort), PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}` })
  await ctx.t.app.listen({ host: '127.0.0.1', port: apiPort })
  ctx.workerEnv = processEnvironment(ctx.t.test.url, ctx.dir, { ...shared, API_INTERNAL_URL: `http://127.0.0.1:${apiPort}` })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000, agent: { recording_enabled: true } })
})
crash.after(async (ctx) => {
  await ctx.t.close()
  await ctx.fake.close()
  await ctx.store.stop()
  rmSync(ctx.dir, { recursive: true, force: true })
})

crash('after SIGKILL the call, consent, transcript so far and the upload\'s row are all there; a new worker starts clean', async (ctx) => {
  const { worker, port: workerPort } = await startWorkerProcess(ctx.workerEnv)
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551234567', To: ctx.business.number })
  const answer = await postTwilio(ctx.t.app, '/voice/consent', { CallSid: sid, Digits: '1' })
  const token = answer.body.match(/name="callToken" value="([^"]+)"/)?.[1] ?? ''
  const streamUrl = `ws://127.0.0.1:${workerPort}/voice/stream`
  const socket = new WebSocket(streamUrl, { headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(ctx.workerEnv.TWILIO_AUTH_TOKEN as string, streamUrl, {}) } })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  const greeted = new Promise<void>((resolve) => socket.on('message', (data: Buffer) => JSON.parse(data.toString()).event === 'media' && resolve()))
  socket.on('error', () => {})
  socket.send(JSON.stringify({ event: 'start', streamSid: 'MZcrash', start: { streamSid: 'MZcrash', callSid: sid, customParameters: { callToken: token } } }))
  await greeted
  ctx.fake.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_c1', content_index: 0, transcript: 'Please call me back at five five five, one two three four.' })
  // Longer than one transcript flush: what was said by now must survive.
  await sleep(1_500)
  await killProcess(worker)

  const call = await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first()
  assert.ok(call, 'the call record')
  const consent = await ctx.t.test.db('consent_records').where({ call_id: call.id }).first()
  assert.equal([consent.decision, consent.method], ['given', 'dtmf'])
  const segments = await ctx.t.test.db('transcript_segments').where({ call_id: call.id }).orderBy('seq')
  assert.equal(segments.map((s: { speaker: string }) => s.speaker), ['agent', 'caller'])
  const recording = await ctx.t.test.db('recordings').where({ call_id: call.id }).first()
  assert.equal([recording.status, typeof recording.upload_id], ['uploading', 'string'], 'the half-written upload has a row saying so')

  const { worker: restarted } = await startWorkerProcess(ctx.workerEnv)
  restarted.kill('SIGTERM')
  await new Promise((resolve) => restarted.once('exit', resolve))
})

crash.run()
