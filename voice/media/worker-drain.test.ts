import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ChildProcess } from 'node:child_process'
import twilio from 'twilio'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../../app.ts'
import type { Config } from '../../core/index.ts'
import { startEmbeddedS3, type EmbeddedS3 } from '../../core/storage/embedded-s3.ts'
import { freePort } from '../../core/testing/free-port.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { killProcess, processEnvironment, startProcess } from '../../core/testing/worker-process.ts'
import { SILENCE_20MS, startFakeRealtime, type FakeRealtime } from '../testing/fake-realtime.ts'
import { callSid, insertVoiceBusiness, postTwilio, type VoiceBusiness } from '../testing/voice-fixture.ts'

/**
 * A media worker told to stop (SIGTERM, as from a deploy) with 20 live calls: none is cut before
 * the drain time, a new call is refused there and taken by the other worker, and once the drain
 * time is over every call hears a goodbye and ends with its transcript, recording and quality saved.
 */
const drain = suite<{ t: TestApp; fake: FakeRealtime; store: EmbeddedS3; dir: string; business: VoiceBusiness; workerEnv: NodeJS.ProcessEnv }>('voice: a worker draining live calls on SIGTERM')

const CALLS = 20
const DRAIN_SECONDS = 3
const GOODBYE = 'Sorry, the line has to close now. Please call back in a minute. Goodbye.'
const SAID_DURING_DRAIN = 'I need a plumber on Tuesday morning.'
// Generous: the test machine may be busy, and a worker process loads the whole app.
const START_TIMEOUT_MS = 90_000
const startWorker = (env: NodeJS.ProcessEnv) => startProcess('worker', env, undefined, START_TIMEOUT_MS).then(({ child, port }) => ({ worker: child, port }))

drain.before(async (ctx) => {
  ctx.fake = await startFakeRealtime()
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-drain-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: 'drain-test' })
  const apiPort = await freePort()
  const shared = {
    TWILIO_AUTH_TOKEN: 'drain-test-auth-token-123456789',
    WORKER_SECRET: 'drain-test-worker-secret-0123456789abcdef',
    AUTH_JWT_KEYS: `drain=${'k'.repeat(40)}`,
    AUTH_PEPPER: 'p'.repeat(40),
    OPENAI_REALTIME_URL: ctx.fake.url,
    S3_ENDPOINT: ctx.store.endpoint,
    S3_ACCESS_KEY_ID: ctx.store.accessKeyId,
    S3_SECRET_ACCESS_KEY: ctx.store.secretAccessKey,
    S3_BUCKET: 'drain-test',
  }
  ctx.t = await openTestApp((config: Config) => buildApp(config, { role: 'api' }), { ...shared, PORT: String(apiPort), PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}` })
  await ctx.t.app.listen({ host: '127.0.0.1', port: apiPort })
  ctx.workerEnv = processEnvironment(ctx.t.test.url, ctx.dir, { ...shared, API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`, WORKER_DRAIN_SECONDS: String(DRAIN_SECONDS), SHUTDOWN_GRACE_SECONDS: '0' })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000, agent: { recording_enabled: true } })
})
drain.after(async (ctx) => {
  await ctx.t.close()
  await ctx.fake.close()
  await ctx.store.stop()
  rmSync(ctx.dir, { recursive: true, force: true })
})

interface Stream {
  sid: string
  socket: WebSocket
  /** When each media frame from the worker arrived (Date.now()). */
  media: number[]
  closed: Promise<{ code: number; reason: string; at: number }>
}

/** Twilio's side of an answered call: the webhooks with consent to record, giving the stream's call token. */
async function answerCall(ctx: { t: TestApp; business: VoiceBusiness }): Promise<{ sid: string; token: string }> {
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551234567', To: ctx.business.number })
  const answer = await postTwilio(ctx.t.app, '/voice/consent', { CallSid: sid, Digits: '1' })
  return { sid, token: answer.body.match(/name="callToken" value="([^"]+)"/)?.[1] ?? '' }
}

/** Twilio's media stream to one worker; resolves once the agent's greeting arrives, rejects with the HTTP status of a refused upgrade. */
function openStream(workerPort: number, call: { sid: string; token: string }, authToken: string): Promise<Stream> {
  const url = `ws://127.0.0.1:${workerPort}/voice/stream`
  const socket = new WebSocket(url, { headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, url, {}) } })
  const media: number[] = []
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })))
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (request, response) => {
      request.destroy()
      reject(Object.assign(new Error('stream refused'), { status: response.statusCode }))
    })
    socket.on('error', () => {})
    socket.on('message', (data: Buffer) => {
      if (JSON.parse(data.toString()).event !== 'media') return
      media.push(Date.now())
      resolve({ sid: call.sid, socket, media, closed })
    })
    socket.once('open', () => socket.send(JSON.stringify({ event: 'start', streamSid: `MZ${call.sid.slice(2)}`, start: { streamSid: `MZ${call.sid.slice(2)}`, callSid: call.sid, customParameters: { callToken: call.token } } })))
  })
}

const callerFrame = (stream: Stream, n: number) => JSON.stringify({ event: 'media', streamSid: `MZ${stream.sid.slice(2)}`, media: { track: 'inbound', chunk: String(n), timestamp: String(n * 20), payload: SILENCE_20MS } })
const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))))

drain('SIGTERM with 20 live calls: none cut before the drain time, new calls go to the other worker, every call saved', async (ctx) => {
  const authToken = ctx.workerEnv.TWILIO_AUTH_TOKEN as string
  const [first, second] = await Promise.all([startWorker(ctx.workerEnv), startWorker(ctx.workerEnv)])
  try {
    const live = await Promise.all(Array.from({ length: CALLS }, async () => openStream(first.port, await answerCall(ctx), authToken)))
    ctx.fake.reply = { ...ctx.fake.reply, transcript: GOODBYE }
    await sleep(200)

    const firstExit = exitOf(first.worker)
    const signalledAt = Date.now()
    first.worker.kill('SIGTERM')
    let readiness: Response | null = null
    for (let i = 0; i < 50; i++) {
      readiness = await fetch(`http://127.0.0.1:${first.port}/readyz`)
      if (readiness.status === 503) break
      await sleep(20)
    }
    assert.equal([readiness?.status, await readiness?.json()], [503, { status: 'draining' }], 'the draining worker leaves the load balancer')

    // A call arriving now: refused by the draining worker, taken by the other.
    const late = await answerCall(ctx)
    const refusal = await openStream(first.port, late, authToken).then(() => 0, (error: { status?: number }) => error.status)
    assert.is(refusal, 503)
    const moved = await openStream(second.port, late, authToken)

    // The calls go on: the agent keeps talking, the caller keeps talking and is heard.
    let frame = 0
    while (Date.now() - signalledAt < DRAIN_SECONDS * 1000 - 300) {
      ctx.fake.emit({ type: 'response.output_audio.delta', item_id: 'item_during_drain', delta: SILENCE_20MS })
      for (const stream of live) if (stream.socket.readyState === WebSocket.OPEN) stream.socket.send(callerFrame(stream, ++frame))
      if (frame === CALLS * 3) ctx.fake.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_caller', content_index: 0, transcript: SAID_DURING_DRAIN })
      await sleep(100)
    }
    const lateInDrain = signalledAt + (DRAIN_SECONDS - 1) * 1000
    for (const stream of live) {
      assert.is(stream.socket.readyState, WebSocket.OPEN, 'no call is cut before the drain time')
      assert.ok(stream.media.some((at) => at >= lateInDrain), 'audio still reaches the caller late in the drain')
    }

    const ends = await Promise.all(live.map((stream) => Promise.race([stream.closed, sleep(20_000).then(() => null)])))
    for (const [i, end] of ends.entries()) {
      assert.ok(end, 'the call ended after the drain time')
      assert.ok(end.at - signalledAt >= DRAIN_SECONDS * 1000, `call ended ${end.at - signalledAt} ms after SIGTERM`)
      assert.equal([end.code, end.reason], [1000, 'worker_draining'])
      assert.ok((live[i] as Stream).media.some((at) => at >= signalledAt + DRAIN_SECONDS * 1000), 'the goodbye was played')
    }
    assert.is(await Promise.race([firstExit, sleep(20_000).then(() => 'still running')]), 0)
    assert.is(ctx.fake.received.filter((event) => event.type === 'response.create' && /call back/.test(event.response?.instructions ?? '')).length, CALLS)

    // Twilio reports each call completed once its stream is gone; the record is whole.
    for (const [i, stream] of live.entries()) {
      assert.is((await postTwilio(ctx.t.app, '/voice/status', { CallSid: stream.sid, CallStatus: 'completed', SequenceNumber: '9', CallDuration: String(5 + i) })).statusCode, 204)
    }
    const calls = await ctx.t.test.db('calls').whereIn('twilio_call_sid', live.map((stream) => stream.sid))
    assert.is(calls.length, CALLS)
    for (const call of calls) {
      assert.equal([call.status, call.quality?.endReason], ['completed', 'worker_draining'])
      const segments = await ctx.t.test.db('transcript_segments').where({ call_id: call.id }).orderBy('seq')
      assert.ok(segments.some((s: { speaker: string; text: string }) => s.speaker === 'caller' && s.text === SAID_DURING_DRAIN), 'what the caller said during the drain is saved')
      assert.ok(segments.some((s: { speaker: string; text: string }) => s.speaker === 'agent' && s.text === GOODBYE), 'the goodbye is in the transcript')
      const recording = await ctx.t.test.db('recordings').where({ call_id: call.id }).first()
      assert.equal([recording?.status, recording?.bytes > 0], ['complete', true], 'the recording is complete')
    }

    // The moved call is untouched by the other worker's shutdown.
    assert.is(moved.socket.readyState, WebSocket.OPEN)
    const heard = moved.media.length
    ctx.fake.emit({ type: 'response.output_audio.delta', item_id: 'item_after', delta: SILENCE_20MS })
    for (let i = 0; i < 50 && moved.media.length === heard; i++) await sleep(20)
    assert.ok(moved.media.length > heard, 'the call on the other worker still flows')
    moved.socket.close()
    await moved.closed
  } finally {
    await killProcess(first.worker)
    const secondExit = exitOf(second.worker)
    second.worker.kill('SIGTERM')
    await secondExit
  }
})

drain.run()
