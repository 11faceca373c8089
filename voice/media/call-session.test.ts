import twilio from 'twilio'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../../app.ts'
import type { Config } from '../../core/index.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { signCallToken } from '../call-token.ts'
import { SILENCE_20MS, startFakeRealtime, type FakeRealtime } from '../testing/fake-realtime.ts'
import { startFakeTwilio, type FakeTwilio } from '../testing/fake-twilio.ts'
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedS3, type EmbeddedS3 } from '../../core/storage/embedded-s3.ts'
import { callSid, insertVoiceBusiness, minutesOf, postTwilio, type VoiceBusiness } from '../testing/voice-fixture.ts'
import { insertMembership, insertUser, TEST_PASSWORD } from '../../core/testing/accounts.ts'
import { graphqlRequest } from '../../core/testing/graphql-request.ts'
import { freePort } from '../../core/testing/free-port.ts'

/** The media worker end to end: Twilio's Media Streams protocol on one side, the Realtime protocol on the other. */
const media = suite<{ t: TestApp; fake: FakeRealtime; twilioApi: FakeTwilio; business: VoiceBusiness; recorded: VoiceBusiness; streamUrl: string; store: EmbeddedS3; s3: S3Client; storeDir: string }>('voice: media worker relay')
const BUCKET = 'media-test'
const ACCOUNT_SID = `AC${'3'.repeat(32)}`
const AUTH_TOKEN = 'media-test-auth-token-12345678'


media.before(async (ctx) => {
  ctx.fake = await startFakeRealtime()
  ctx.twilioApi = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })
  ctx.storeDir = mkdtempSync(join(tmpdir(), 'answerline-media-s3-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.storeDir, port: 0, bucket: BUCKET })
  ctx.s3 = new S3Client({ endpoint: ctx.store.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ctx.store.accessKeyId, secretAccessKey: ctx.store.secretAccessKey } })
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  ctx.t = await openTestApp((config: Config) => buildApp(config), {
    PORT: String(port),
    PUBLIC_BASE_URL: base,
    API_INTERNAL_URL: base,
    OPENAI_REALTIME_URL: ctx.fake.url,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE_URL: ctx.twilioApi.baseUrl,
    S3_ENDPOINT: ctx.store.endpoint,
    S3_ACCESS_KEY_ID: ctx.store.accessKeyId,
    S3_SECRET_ACCESS_KEY: ctx.store.secretAccessKey,
    S3_BUCKET: BUCKET,
  })
  await ctx.t.app.listen({ host: '127.0.0.1', port })
  ctx.streamUrl = `ws://127.0.0.1:${port}/voice/stream`
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000, agent: { recording_enabled: false, greeting: 'Thanks for calling Bright Smile!' } })
  await ctx.t.test.db('businesses').where({ id: ctx.business.businessId }).update({ name: 'Bright Smile Dental' })
  ctx.recorded = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000, agent: { recording_enabled: true } })
})
media.after(async (ctx) => {
  await ctx.t.close()
  await ctx.fake.close()
  await ctx.twilioApi.close()
  ctx.s3.destroy()
  await ctx.store.stop()
  rmSync(ctx.storeDir, { recursive: true, force: true })
})

interface TwilioSide {
  socket: WebSocket
  received: Array<Record<string, any>>
  closed: Promise<number>
  send(message: object): void
  waitFor(predicate: (m: Record<string, any>) => boolean, what: string): Promise<Record<string, any>>
}

/** Answers a call through the webhooks and opens its media stream, as Twilio would. */
async function call(ctx: { t: TestApp; business: VoiceBusiness; streamUrl: string }, options: { token?: string; signature?: string; sid?: string; business?: VoiceBusiness; consent?: string } = {}): Promise<TwilioSide & { sid: string }> {
  const sid = options.sid ?? callSid()
  let answer = options.sid ? null : await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551234567', To: (options.business ?? ctx.business).number })
  if (options.consent) answer = await postTwilio(ctx.t.app, '/voice/consent', { CallSid: sid, Digits: options.consent })
  const token = options.token ?? answer?.body.match(/name="callToken" value="([^"]+)"/)?.[1] ?? ''
  const signature = options.signature ?? twilio.getExpectedTwilioSignature(ctx.t.app.config.twilio.authToken as string, ctx.streamUrl, {})
  const socket = new WebSocket(ctx.streamUrl, { headers: { 'x-twilio-signature': signature } })
  const received: Array<Record<string, any>> = []
  const waiters: Array<() => void> = []
  socket.on('message', (data: Buffer) => {
    received.push(JSON.parse(data.toString()))
    for (const wake of waiters.splice(0)) wake()
  })
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  const side: TwilioSide & { sid: string } = {
    sid,
    socket,
    received,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    async waitFor(predicate, what) {
      const deadline = Date.now() + 5_000
      while (Date.now() < deadline) {
        const found = received.find(predicate)
        if (found) return found
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 50).unref()
        })
      }
      throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(received.map((m) => m.event))}`)
    },
  }
  side.send({ event: 'connected', protocol: 'Call', version: '1.0.0' })
  side.send({ event: 'start', sequenceNumber: '1', streamSid: `MZ${sid.slice(2)}`, start: { streamSid: `MZ${sid.slice(2)}`, callSid: sid, accountSid: `AC${'0'.repeat(32)}`, tracks: ['inbound'], customParameters: { callToken: token }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } })
  return side
}

const media20ms = (payload: string, n: number) => ({ event: 'media', sequenceNumber: String(n), media: { track: 'inbound', chunk: String(n), timestamp: String(n * 20), payload }, streamSid: 'MZ' })
const eventsOf = (fake: FakeRealtime, type: string) => fake.received.filter((e) => e.type === type)

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

media('an invalid call token closes the stream without opening a model session', async (ctx) => {
  const before = ctx.fake.connections
  const side = await call(ctx, { token: 'forged' })
  assert.is(await side.closed, 1008)
  assert.is(ctx.fake.connections, before)
})

media('a stream upgrade without Twilio\'s signature is refused', async (ctx) => {
  try {
    await call(ctx, { signature: 'bm9wZQ==' })
    assert.unreachable('connected')
  } catch (error) {
    assert.match(String((error as Error).message), /403/)
  }
})

media('the session is configured before any audio, the agent greets first, and audio is relayed untouched', async (ctx) => {
  ctx.fake.received.length = 0
  const side = await call(ctx)
  const callerAudio = Buffer.alloc(160, 0x7f).toString('base64')
  // Audio sent at once, while the model socket is still opening, must not be lost.
  for (let i = 0; i < 5; i++) side.send(media20ms(callerAudio, i + 2))
  await side.waitFor((m) => m.event === 'media', 'the greeting audio')
  await until(() => eventsOf(ctx.fake, 'input_audio_buffer.append').length === 5, 'the buffered caller audio')
  const types = ctx.fake.received.map((e) => e.type)
  assert.is(types[0], 'session.update')
  const session = ctx.fake.received[0]?.session
  assert.equal([session.type, session.audio.input.format.type, session.audio.output.format.type, session.audio.input.turn_detection.type], ['realtime', 'audio/pcmu', 'audio/pcmu', 'server_vad'])
  assert.match(session.instructions, /Bright Smile Dental/)
  assert.equal(session.tools.map((tool: { name: string }) => tool.name), ['capture_lead_field', 'escalate_to_human', 'end_call'])
  assert.match(eventsOf(ctx.fake, 'response.create')[0]?.response?.instructions ?? '', /Thanks for calling Bright Smile!/)
  assert.ok(eventsOf(ctx.fake, 'input_audio_buffer.append').every((e) => e.audio === callerAudio))
  await until(() => side.received.filter((m) => m.event === 'media').length === 3, 'all greeting chunks')
  assert.ok(side.received.filter((m) => m.event === 'media').every((m) => m.media.payload === SILENCE_20MS))
  // Each chunk is followed by a mark naming the item and how much of it has been sent.
  assert.equal(side.received.filter((m) => m.event === 'mark').map((m) => m.mark.name.split(':')[1]), ['20', '40', '60'])
  side.socket.close()
})

media('barge-in clears Twilio\'s buffer and truncates the agent at what the caller heard', async (ctx) => {
  ctx.fake.reply = { chunks: Array(10).fill(SILENCE_20MS), transcript: 'Let me tell you all about our services.' }
  const side = await call(ctx)
  await until(() => side.received.filter((m) => m.event === 'mark').length === 10, 'the greeting')
  // Twilio has played three chunks when the caller starts talking.
  for (const mark of side.received.filter((m) => m.event === 'mark').slice(0, 3)) side.send({ event: 'mark', streamSid: 'MZ', mark: { name: mark.mark.name } })
  const itemId = side.received.find((m) => m.event === 'mark')?.mark.name.split(':')[0]
  await new Promise((resolve) => setTimeout(resolve, 50))
  ctx.fake.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 1000, item_id: 'item_caller' })
  await side.waitFor((m) => m.event === 'clear', 'clear')
  await until(() => eventsOf(ctx.fake, 'conversation.item.truncate').some((e) => e.item_id === itemId), 'truncate')
  const truncate = eventsOf(ctx.fake, 'conversation.item.truncate').find((e) => e.item_id === itemId)
  assert.equal([truncate?.content_index, truncate?.audio_end_ms], [0, 60])
  side.socket.close()
  ctx.fake.reply = { chunks: [SILENCE_20MS, SILENCE_20MS, SILENCE_20MS], transcript: 'Hello, thanks for calling.' }
})

media('both sides are transcribed and saved while the call goes on', async (ctx) => {
  const side = await call(ctx)
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  ctx.fake.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_c1', content_index: 0, transcript: 'Hi, I need a cleaning next week.' })
  const callRow = await ctx.t.test.db('calls').where({ twilio_call_sid: side.sid }).first('id')
  await until(async () => (await ctx.t.test.db('transcript_segments').where({ call_id: callRow.id })).length === 2, 'two saved segments')
  const segments = await ctx.t.test.db('transcript_segments').where({ call_id: callRow.id }).orderBy('seq')
  assert.equal(segments.map((s: { speaker: string; text: string }) => [s.speaker, s.text]), [['agent', 'Hello, thanks for calling.'], ['caller', 'Hi, I need a cleaning next week.']])
  side.socket.close()
})

media('keypad presses reach the model as text', async (ctx) => {
  const side = await call(ctx)
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  side.send({ event: 'dtmf', streamSid: 'MZ', sequenceNumber: '9', dtmf: { track: 'inbound_track', digit: '7' } })
  await until(() => eventsOf(ctx.fake, 'conversation.item.create').some((e) => JSON.stringify(e).includes('pressed 7')), 'the digit')
  side.socket.close()
})

media('malformed frames are ignored and the call goes on', async (ctx) => {
  const side = await call(ctx)
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  for (const junk of ['not json', '{"event":"media","media":{"payload":"@@@"}}', '{"event":"mark"}', '{}']) side.socket.send(junk)
  side.send(media20ms(SILENCE_20MS, 50))
  const before = eventsOf(ctx.fake, 'input_audio_buffer.append').length
  await until(() => eventsOf(ctx.fake, 'input_audio_buffer.append').length > before, 'audio after junk')
  assert.is(side.socket.readyState, WebSocket.OPEN)
  side.socket.close()
})

media('when the call ends, its quality figures are stored on the call', async (ctx) => {
  const side = await call(ctx)
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  side.send({ event: 'stop', streamSid: 'MZ', stop: { callSid: side.sid } })
  await side.closed
  await until(async () => Object.keys((await ctx.t.test.db('calls').where({ twilio_call_sid: side.sid }).first('quality')).quality).length > 0, 'quality')
  const { quality, answered_by: answeredBy } = await ctx.t.test.db('calls').where({ twilio_call_sid: side.sid }).first('quality', 'answered_by')
  assert.is(typeof quality.firstGreetingAudioMs, 'number')
  assert.equal([quality.endReason, quality.bargeIns, quality.modelErrors, answeredBy], ['twilio_stopped', 0, 0, 'ai'])
})

media('a dropped model reconnects once, briefed with the conversation so far; a second drop hands the caller to a person', async (ctx) => {
  const side = await call(ctx)
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  ctx.twilioApi.calls.set(side.sid, { sid: side.sid, status: 'in-progress', updates: [] })
  ctx.fake.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_c9', content_index: 0, transcript: 'My name is Ada.' })
  await new Promise((resolve) => setTimeout(resolve, 50))
  const connections = ctx.fake.connections
  ctx.fake.dropConnections()
  await until(() => ctx.fake.connections === connections + 1 && ctx.fake.received.some((e) => e.type === 'session.update' && /Caller: My name is Ada\./.test(e.session.instructions)), 'the briefed reconnect')
  assert.is(side.socket.readyState, WebSocket.OPEN, 'the caller is still on the line')
  ctx.fake.dropConnections()
  await side.closed
  await until(() => (ctx.twilioApi.calls.get(side.sid)?.updates.length ?? 0) > 0, 'the fallback transfer')
  assert.match(ctx.twilioApi.calls.get(side.sid)?.updates[0]?.Twiml ?? '', /<Dial/)
  const callRow = await ctx.t.test.db('calls').where({ twilio_call_sid: side.sid }).first('id', 'quality')
  await until(async () => (await ctx.t.test.db('transcript_segments').where({ call_id: callRow.id, speaker: 'caller' })).length === 1, 'the caller segment')
  await until(async () => (await ctx.t.test.db('calls').where({ id: callRow.id }).first('quality')).quality.endReason === 'model_lost', 'the end reason')
})

media('tools: a captured detail is kept, and asking for a person transfers the call through the api', async (ctx) => {
  const side = await call(ctx)
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  ctx.twilioApi.calls.set(side.sid, { sid: side.sid, status: 'in-progress', updates: [] })
  ctx.fake.emit({ type: 'response.function_call_arguments.done', call_id: 'fc_1', name: 'capture_lead_field', arguments: '{"field":"name","value":"Ada Lovelace"}' })
  ctx.fake.emit({ type: 'response.function_call_arguments.done', call_id: 'fc_2', name: 'escalate_to_human', arguments: '{"reason":"wants to book with a person"}' })
  await until(() => (ctx.twilioApi.calls.get(side.sid)?.updates.length ?? 0) > 0, 'the transfer')
  assert.match(ctx.twilioApi.calls.get(side.sid)?.updates[0]?.Twiml ?? '', /<Dial callerId="\+15551234567"/)
  await until(() => eventsOf(ctx.fake, 'conversation.item.create').some((e) => e.item?.call_id === 'fc_2'), 'the tool output')
  const outputs = eventsOf(ctx.fake, 'conversation.item.create').filter((e) => e.item?.type === 'function_call_output')
  assert.equal(outputs.filter((e) => ['fc_1', 'fc_2'].includes(e.item.call_id)).map((e) => JSON.parse(e.item.output).ok), [true, true])
  const callRow = await ctx.t.test.db('calls').where({ twilio_call_sid: side.sid }).first('id', 'escalated')
  assert.is(callRow.escalated, true)
  await until(async () => (await ctx.t.test.db('transcript_segments').where({ call_id: callRow.id, speaker: 'system' })).length === 1, 'the captured detail')
  side.socket.close()
})

media('the call ends at its reserved duration, after warning the caller', async (ctx) => {
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551234567', To: ctx.business.number })
  const row = await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first('id')
  const token = await signCallToken(ctx.t.app.config.voice.workerSecret as string, 60, { callId: row.id, callSid: sid, businessId: ctx.business.businessId, recording: false, mode: 'conversation', maxDurationSeconds: 1 })
  const side = await call(ctx, { token, sid })
  assert.is(await side.closed, 1000)
  assert.ok(eventsOf(ctx.fake, 'response.create').some((e) => /must end/.test(e.response?.instructions ?? '')), 'the caller was warned')
  await until(async () => (await ctx.t.test.db('calls').where({ id: row.id }).first('quality')).quality.endReason === 'time_limit', 'the end reason')
})

async function recordingOf(ctx: { t: TestApp }, sid: string) {
  return ctx.t.test.db('recordings as r').join('calls as c', 'c.id', 'r.call_id').where('c.twilio_call_sid', sid).first('r.*')
}

media('with consent the call is recorded in stereo to S3, with a row that says where and how long', async (ctx) => {
  const side = await call(ctx, { business: ctx.recorded, consent: '1' })
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  await until(async () => (await recordingOf(ctx, side.sid))?.status === 'uploading', 'the recording row')
  const callerAudio = Buffer.alloc(160, 0x11).toString('base64')
  for (let i = 0; i < 50; i++) side.send({ event: 'media', media: { track: 'inbound', chunk: String(i), timestamp: String(200 + i * 20), payload: callerAudio }, streamSid: 'MZ' })
  await new Promise((resolve) => setTimeout(resolve, 100))
  side.send({ event: 'stop', streamSid: 'MZ' })
  await side.closed
  await until(async () => (await recordingOf(ctx, side.sid))?.status === 'complete', 'the completed recording')
  const row = await recordingOf(ctx, side.sid)
  assert.ok(row.duration_ms >= 1000, `duration ${row.duration_ms}`)
  const object = await ctx.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: row.storage_key }))
  const wav = Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())
  assert.is(wav.length, Number(row.bytes))
  assert.equal([wav.readUInt16LE(20), wav.readUInt16LE(22)], [7, 2], 'mu-law stereo')
  const left = Array.from({ length: (wav.length - 58) / 2 }, (_, i) => wav[58 + i * 2])
  assert.is(left.filter((b) => b === 0x11).length, 50 * 160, 'every caller sample is on the left')
})

media('without consent nothing is recorded', async (ctx) => {
  const side = await call(ctx, { business: ctx.recorded, consent: '2' })
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  side.send({ event: 'stop', streamSid: 'MZ' })
  await side.closed
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.is(await recordingOf(ctx, side.sid), undefined)
  assert.not.ok((eventsOf(ctx.fake, 'session.update').at(-1)?.session.tools ?? []).some((tool: { name: string }) => tool.name === 'stop_recording'))
})

media('a caller who asks to stop recording gets it stopped, deleted, and the withdrawal recorded', async (ctx) => {
  const side = await call(ctx, { business: ctx.recorded, consent: '1' })
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  await until(async () => (await recordingOf(ctx, side.sid))?.status === 'uploading', 'the recording row')
  const { storage_key: key } = await recordingOf(ctx, side.sid)
  ctx.fake.emit({ type: 'response.function_call_arguments.done', call_id: 'fc_stop', name: 'stop_recording', arguments: '{}' })
  await until(async () => (await recordingOf(ctx, side.sid))?.status === 'deleted', 'the deleted recording')
  const consent = await ctx.t.test.db('consent_records as r').join('calls as c', 'c.id', 'r.call_id').where('c.twilio_call_sid', side.sid).first('r.decision', 'r.withdrawn_at')
  assert.is(consent.decision, 'given')
  assert.ok(consent.withdrawn_at)
  const callId = (await ctx.t.test.db('calls').where({ twilio_call_sid: side.sid }).first('id')).id
  assert.is((await ctx.t.test.db('audit_log').where({ action: 'consent.withdrawn', target_id: callId })).length, 1, 'the withdrawal is audited once')
  side.send({ event: 'stop', streamSid: 'MZ' })
  await side.closed
  const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key }))
  assert.is(listed.KeyCount ?? 0, 0)
})

media('a start whose stream id could break out of the JSON is ignored; the call starts with a proper one', async (ctx) => {
  const owner = await tokenFor(ctx, ctx.business.ownerEmail)
  const socket = new WebSocket(ctx.streamUrl.replace('/voice/stream', '/voice/test-call'))
  const received: Array<Record<string, any>> = []
  socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString())))
  await new Promise((resolve) => socket.once('open', resolve))
  const start = (streamSid: string) => JSON.stringify({ event: 'start', streamSid, start: { streamSid, callSid: 'browser', customParameters: { authorization: `Bearer ${owner}`, businessId: ctx.business.businessId } } })
  const connectionsBefore = ctx.fake.connections
  socket.send(start('MZ","event":"clear'))
  socket.send(start('MZproper'))
  await until(() => received.some((m) => m.event === 'media'), 'the greeting')
  assert.equal([...new Set(received.map((m) => m.streamSid))], ['MZproper'])
  assert.is(ctx.fake.connections - connectionsBefore, 1, 'one model session, for the proper start')
  socket.close()
})

async function testCall(ctx: { streamUrl: string }, parameters: Record<string, string>, origin?: string) {
  const socket = new WebSocket(ctx.streamUrl.replace('/voice/stream', '/voice/test-call'), origin ? { headers: { origin } } : {})
  const received: Array<Record<string, any>> = []
  socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString())))
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  socket.send(JSON.stringify({ event: 'start', streamSid: 'MZbrowser', start: { streamSid: 'MZbrowser', callSid: 'browser', customParameters: parameters } }))
  return { socket, received, closed }
}

async function tokenFor(ctx: { t: TestApp }, email: string) {
  const login = await graphqlRequest(ctx.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email, password: TEST_PASSWORD } })
  return login.data.logIn.tokens.accessToken as string
}

media('an owner talks to their agent from the browser: a test call, with real minutes settled when it ends', async (ctx) => {
  const owner = await tokenFor(ctx, ctx.business.ownerEmail)
  // Earlier tests' test calls on this business settle (and release their reservations) first.
  await until(async () => (await ctx.t.test.db('calls').where({ business_id: ctx.business.businessId, direction: 'test' }).whereNull('ended_at')).length === 0, 'earlier test calls settled')
  const before = await minutesOf(ctx.t.test.db, ctx.business.billingAccountId)
  const browser = await testCall(ctx, { authorization: `Bearer ${owner}`, businessId: ctx.business.businessId })
  await until(() => browser.received.some((m) => m.event === 'media'), 'the greeting')
  browser.socket.send(JSON.stringify({ event: 'stop', streamSid: 'MZbrowser' }))
  await browser.closed
  const call = await ctx.t.test.db('calls').where({ business_id: ctx.business.businessId, direction: 'test' }).orderBy('created_at', 'desc').first()
  await until(async () => (await ctx.t.test.db('calls').where({ id: call.id }).first('ended_at')).ended_at !== null, 'the settled test call')
  const ended = await ctx.t.test.db('calls').where({ id: call.id }).first()
  assert.equal([ended.status, ended.twilio_call_sid, ended.billed_minutes], ['completed', null, 1])
  assert.equal(await minutesOf(ctx.t.test.db, ctx.business.billingAccountId), { balance: before.balance - 1, ledger: before.ledger - 1 })
  // The owner talking to their own agent is no caller: no lead extraction, nothing for connectors.
  assert.is((await ctx.t.test.db.raw(`select count(*)::int as n from pgboss.job where name = 'lead-extract' and data->>'callId' = ?`, [call.id])).rows[0].n, 0)
})

const transcriptsOf = (received: Array<Record<string, any>>) => received.filter((m) => m.event === 'transcript').map((m) => m.transcript)

media('a test call shows the browser each line as it is known: the caller once transcribed, the agent as it speaks', async (ctx) => {
  const browser = await testCall(ctx, { authorization: `Bearer ${await tokenFor(ctx, ctx.business.ownerEmail)}`, businessId: ctx.business.businessId })
  await until(() => transcriptsOf(browser.received).length === 1, 'the greeting line')
  const greeting = browser.received.find((m) => m.event === 'transcript')
  assert.is(greeting?.streamSid, 'MZbrowser')
  ctx.fake.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_c1', content_index: 0, transcript: 'Do you open on Saturdays?' })
  for (const delta of ['Yes, ', 'from nine ', 'to noon.']) ctx.fake.emit({ type: 'response.output_audio_transcript.delta', item_id: 'item_r2', content_index: 0, delta })
  ctx.fake.emit({ type: 'response.output_audio_transcript.done', item_id: 'item_r2', content_index: 0, transcript: 'Yes, from nine to noon.' })
  // A reply cut off before its done (a cancelled response) ends where it got to when the next one starts.
  ctx.fake.emit({ type: 'response.output_audio_transcript.delta', item_id: 'item_r3', content_index: 0, delta: 'Is there anything' })
  ctx.fake.emit({ type: 'response.output_audio_transcript.delta', item_id: 'item_r4', content_index: 0, delta: 'Goodbye.' })
  await until(() => transcriptsOf(browser.received).length === 9, 'nine lines')
  assert.equal(transcriptsOf(browser.received), [
    { speaker: 'agent', text: 'Hello, thanks for calling.', final: true },
    { speaker: 'caller', text: 'Do you open on Saturdays?', final: true },
    { speaker: 'agent', text: 'Yes, ', final: false },
    { speaker: 'agent', text: 'Yes, from nine ', final: false },
    { speaker: 'agent', text: 'Yes, from nine to noon.', final: false },
    { speaker: 'agent', text: 'Yes, from nine to noon.', final: true },
    { speaker: 'agent', text: 'Is there anything', final: false },
    { speaker: 'agent', text: 'Is there anything', final: true },
    { speaker: 'agent', text: 'Goodbye.', final: false },
  ])
  browser.socket.send(JSON.stringify({ event: 'stop', streamSid: 'MZbrowser' }))
  await browser.closed
})

media('a transcript line with quotes, backslashes and markup reaches the browser intact, as text', async (ctx) => {
  const browser = await testCall(ctx, { authorization: `Bearer ${await tokenFor(ctx, ctx.business.ownerEmail)}`, businessId: ctx.business.businessId })
  await until(() => transcriptsOf(browser.received).length === 1, 'the greeting line')
  const text = 'She said "hi" \\ <img src=x onerror=alert(1)></script>\n{"event":"media"} & left'
  ctx.fake.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_c1', content_index: 0, transcript: text })
  await until(() => transcriptsOf(browser.received).length === 2, 'the caller line')
  assert.equal(transcriptsOf(browser.received)[1], { speaker: 'caller', text, final: true })
  browser.socket.send(JSON.stringify({ event: 'stop', streamSid: 'MZbrowser' }))
  await browser.closed
})

media('a Twilio call gets no transcript messages: Twilio does not know them', async (ctx) => {
  const side = await call(ctx)
  await side.waitFor((m) => m.event === 'media', 'the greeting')
  ctx.fake.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_c1', content_index: 0, transcript: 'Hello?' })
  ctx.fake.emit({ type: 'response.output_audio_transcript.delta', item_id: 'item_r2', content_index: 0, delta: 'Hi there.' })
  ctx.fake.emit({ type: 'response.output_audio_transcript.done', item_id: 'item_r2', content_index: 0, transcript: 'Hi there.' })
  const callRow = await ctx.t.test.db('calls').where({ twilio_call_sid: side.sid }).first('id')
  await until(async () => (await ctx.t.test.db('transcript_segments').where({ call_id: callRow.id })).length === 3, 'three saved segments')
  assert.equal(side.received.filter((m) => m.event === 'transcript'), [])
  side.socket.close()
})

media('a test call needs a credential with agent:write on that business, from an allowed page', async (ctx) => {
  const member = await insertUser(ctx.t.test.db)
  await insertMembership(ctx.t.test.db, member.id, ctx.business.organizationId, 'member')
  const stranger = await insertUser(ctx.t.test.db)
  const attempts = [
    { authorization: 'Bearer not-a-token', businessId: ctx.business.businessId },
    { authorization: `Bearer ${await tokenFor(ctx, member.email)}`, businessId: ctx.business.businessId },
    { authorization: `Bearer ${await tokenFor(ctx, stranger.email)}`, businessId: ctx.business.businessId },
  ]
  const calls = await ctx.t.test.db('calls').where({ direction: 'test' }).count({ n: '*' }).first()
  for (const parameters of attempts) assert.is(await (await testCall(ctx, parameters)).closed, 1008)
  assert.equal(await ctx.t.test.db('calls').where({ direction: 'test' }).count({ n: '*' }).first(), calls)
  try {
    await testCall(ctx, attempts[0] as Record<string, string>, 'https://evil.example.net')
    assert.unreachable('connected from a foreign origin')
  } catch (error) {
    assert.match(String((error as Error).message), /403/)
  }
})

media.run()
