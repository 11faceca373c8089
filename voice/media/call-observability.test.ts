import { Writable } from 'node:stream'
import twilio from 'twilio'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../../app.ts'
import type { Config } from '../../core/index.ts'
import { freePort } from '../../core/testing/free-port.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { startFakeRealtime, type FakeRealtime } from '../testing/fake-realtime.ts'
import { callSid, e164, insertVoiceBusiness, postTwilio, type VoiceBusiness } from '../testing/voice-fixture.ts'

type LogLine = Record<string, any>

/** A call seen from outside: its metrics on /metrics, and its log lines across worker and api. */
const observed = suite<{ t: TestApp; fake: FakeRealtime; business: VoiceBusiness; streamUrl: string; logs: LogLine[] }>('voice: metrics and correlated logs of a call')
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

observed.before(async (ctx) => {
  ctx.fake = await startFakeRealtime()
  ctx.logs = []
  const logs = ctx.logs
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line))
      done()
    },
  })
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  ctx.t = await openTestApp((config: Config) => buildApp(config, { logStream }), { LOG_LEVEL: 'info', PORT: String(port), PUBLIC_BASE_URL: base, API_INTERNAL_URL: base, OPENAI_REALTIME_URL: ctx.fake.url })
  await ctx.t.app.listen({ host: '127.0.0.1', port })
  ctx.streamUrl = `ws://127.0.0.1:${port}/voice/stream`
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 100, agent: { recording_enabled: false } })
})
observed.after(async (ctx) => {
  await ctx.t.close()
  await ctx.fake.close()
})

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : 0
}

/** Answers a call through the inbound webhook and streams a second of caller audio, as Twilio would; then hangs up. */
async function placeCall(ctx: { t: TestApp; business: VoiceBusiness; streamUrl: string; fake: FakeRealtime }): Promise<{ sid: string; callId: string }> {
  const sid = callSid()
  const answer = await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551234567', To: ctx.business.number })
  const token = answer.body.match(/name="callToken" value="([^"]+)"/)?.[1] ?? ''
  const signature = twilio.getExpectedTwilioSignature(ctx.t.app.config.twilio.authToken as string, ctx.streamUrl, {})
  const socket = new WebSocket(ctx.streamUrl, { headers: { 'x-twilio-signature': signature } })
  let agentFrames = 0
  socket.on('message', (data: Buffer) => {
    if (JSON.parse(data.toString()).event === 'media') agentFrames++
  })
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject))
  const streamSid = `MZ${sid.slice(2)}`
  socket.send(JSON.stringify({ event: 'start', streamSid, start: { streamSid, callSid: sid, customParameters: { callToken: token } } }))
  await until(() => agentFrames > 0, 'the greeting audio')
  const appended = () => ctx.fake.received.filter((e) => e.type === 'input_audio_buffer.append').length
  const before = appended()
  const audio = Buffer.alloc(160, 0x7f).toString('base64')
  for (let i = 0; i < 50; i++) socket.send(JSON.stringify({ event: 'media', streamSid, media: { track: 'inbound', chunk: String(i), timestamp: String(i * 20), payload: audio } }))
  await until(() => appended() - before === 50, 'the caller audio at the model')
  const callId = (await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first('id')).id as string
  socket.send(JSON.stringify({ event: 'stop', streamSid }))
  socket.close()
  return { sid, callId }
}

observed('a call is counted started and completed once, even when Twilio retries, its frames are timed both ways, and no id reaches a label', async (ctx) => {
  const { sid } = await placeCall(ctx)
  // Twilio retries a webhook it got no answer to in time: the call is counted once all the same.
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551234567', To: ctx.business.number })
  await postTwilio(ctx.t.app, '/voice/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '12', SequenceNumber: '9' })
  await postTwilio(ctx.t.app, '/voice/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '12', SequenceNumber: '9' })
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: callSid(), From: '+15551234567', To: e164() })
  await until(() => ctx.logs.some((l) => l.msg === 'media stream ended'), 'the end of the stream')
  // A stream counts as live until what it ends with (transcript, quality) is saved.
  let text = ''
  const deadline = Date.now() + 5_000
  do text = (await ctx.t.app.inject({ url: '/metrics' })).body
  while (sample(text, 'answerline_media_streams_live') !== 0 && Date.now() < deadline)
  assert.is(sample(text, 'answerline_calls_total{event="started",outcome="answer"}'), 1)
  assert.is(sample(text, 'answerline_calls_total{event="completed",outcome="completed"}'), 1)
  assert.is(sample(text, 'answerline_calls_total{event="refused",outcome="unknown_number"}'), 1)
  assert.ok(sample(text, 'answerline_relay_latency_seconds_count{direction="caller_to_model"}') >= 50, 'caller frames timed')
  assert.ok(sample(text, 'answerline_relay_latency_seconds_count{direction="model_to_caller"}') >= 1, 'agent frames timed')
  assert.is(sample(text, 'answerline_media_streams_live'), 0)
  assert.ok(sample(text, 'answerline_http_request_duration_seconds_count{route="/internal/voice/calls/:callId/agent",method="GET",status_class="2xx"}') >= 1, 'internal routes by pattern')
  assert.not.match(text, UUID)
  assert.not.match(text, /\+1555/)
})

observed('the worker logs a call with its id, and the api logs its requests for that call under request ids that carry it', async (ctx) => {
  const { callId } = await placeCall(ctx)
  // The quality report is the stream's last request to the api.
  await until(() => ctx.logs.some((l) => l.msg === 'request completed' && String(l.reqId).startsWith(`${callId}.`) && ctx.logs.some((r) => r.reqId === l.reqId && r.req?.url?.endsWith('/quality'))), 'the quality report')
  const worker = ctx.logs.filter((l) => l.callId === callId)
  assert.ok(worker.some((l) => l.msg === 'media stream started'), 'the start is logged with the call id')
  assert.ok(worker.some((l) => l.msg === 'media stream ended' && typeof l.reason === 'string'), 'the end is logged with the call id and why')
  // The media worker's requests to the api: their request ids begin with the call id.
  const api = ctx.logs.filter((l) => typeof l.reqId === 'string' && l.reqId.startsWith(`${callId}.`))
  const urls = api.map((l) => l.req?.url).filter(Boolean)
  assert.ok(urls.includes(`/internal/voice/calls/${callId}/agent`), `agent context request logged: ${JSON.stringify(urls)}`)
  assert.ok(urls.includes(`/internal/voice/calls/${callId}/quality`), 'quality report logged')
  assert.ok(api.some((l) => l.msg === 'request completed' && l.res?.statusCode === 200), 'the answers are logged under the same id')
  // Each request keeps an id of its own.
  assert.is(new Set(api.filter((l) => l.msg === 'incoming request').map((l) => l.reqId)).size, api.filter((l) => l.msg === 'incoming request').length)
})

observed.run()
