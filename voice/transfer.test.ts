import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import type { Config } from '../core/index.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { verifyCallToken } from './call-token.ts'
import { startFakeTwilio, type FakeTwilio } from './testing/fake-twilio.ts'
import { callSid, insertVoiceBusiness, postTwilio, type VoiceBusiness } from './testing/voice-fixture.ts'

/** Escalation: the worker asks the api to hand the caller to a person, through Twilio's REST API. */
const transfer = suite<{ t: TestApp; fake: FakeTwilio; business: VoiceBusiness }>('voice: transfer to a human')

const ACCOUNT_SID = `AC${'1'.repeat(32)}`
const AUTH_TOKEN = 'transfer-test-auth-token-123456'

transfer.before(async (ctx) => {
  ctx.fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })
  ctx.t = await openTestApp((config: Config) => buildApp(config), { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_API_BASE_URL: ctx.fake.baseUrl })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000 })
})
transfer.after(async (ctx) => {
  await ctx.t.close()
  await ctx.fake.close()
})

async function liveCall(ctx: { t: TestApp; fake: FakeTwilio; business: VoiceBusiness }, from = '+15551239999'): Promise<string> {
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: from, To: ctx.business.number })
  await postTwilio(ctx.t.app, '/voice/consent', { CallSid: sid, Digits: '1' })
  ctx.fake.calls.set(sid, { sid, status: 'in-progress', updates: [] })
  return sid
}
const askTransfer = (ctx: { t: TestApp }, sid: string, secret = ctx.t.app.config.voice.workerSecret as string) =>
  ctx.t.app.inject({ method: 'POST', url: `/internal/voice/calls/${sid}/transfer`, headers: { authorization: `Bearer ${secret}` }, payload: { reason: 'caller asked for a human' } })

transfer('the worker must present the shared secret', async (ctx) => {
  const sid = await liveCall(ctx)
  assert.is((await askTransfer(ctx, sid, 'wrong-secret')).statusCode, 401)
  assert.is((await ctx.t.app.inject({ method: 'POST', url: `/internal/voice/calls/${sid}/transfer`, payload: { reason: 'x' } })).statusCode, 401)
  assert.equal(ctx.fake.calls.get(sid)?.updates, [])
})

transfer('a transfer dials the forwarding number with the caller\'s own number as caller ID', async (ctx) => {
  const sid = await liveCall(ctx, '+15557654321')
  const response = await askTransfer(ctx, sid)
  assert.is(response.statusCode, 202)
  const twiml = ctx.fake.calls.get(sid)?.updates[0]?.Twiml ?? ''
  assert.match(twiml, /<Dial callerId="\+15557654321" timeout="20" action="http:\/\/127\.0\.0\.1:0\/voice\/transfer-result" method="POST">\+15005550001<\/Dial>/)
  assert.is((await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first()).escalated, true)
})

transfer('when the team answers, the call is marked answered by a human', async (ctx) => {
  const sid = await liveCall(ctx)
  await askTransfer(ctx, sid)
  const result = await postTwilio(ctx.t.app, '/voice/transfer-result', { CallSid: sid, DialCallStatus: 'completed' })
  assert.not.match(result.body, /<Connect|<Gather/)
  const call = await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first()
  assert.equal([call.transfer_outcome, call.answered_by, call.outcome], ['answered', 'human', 'transferred'])
})

for (const [dialStatus, outcome] of [['busy', 'busy'], ['no-answer', 'no_answer'], ['failed', 'failed']] as const) {
  transfer(`a ${dialStatus} transfer brings the AI back to take a message, with a callback to make`, async (ctx) => {
    const sid = await liveCall(ctx)
    await askTransfer(ctx, sid)
    const result = await postTwilio(ctx.t.app, '/voice/transfer-result', { CallSid: sid, DialCallStatus: dialStatus })
    const token = result.body.match(/<Parameter name="callToken" value="([^"]+)"/)?.[1] ?? ''
    const claims = await verifyCallToken(ctx.t.app.config.voice.workerSecret as string, token, sid)
    assert.equal([claims.mode, claims.recording], ['take_message', true])
    const call = await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first()
    assert.equal([call.transfer_outcome, call.answered_by, call.outcome], [outcome, 'ai', 'callback_requested'])
  })
}

transfer('Twilio refusing (call over) is a 409, Twilio failing is a 502, and neither marks the call', async (ctx) => {
  const ended = await liveCall(ctx)
  ctx.fake.calls.set(ended, { sid: ended, status: 'completed', updates: [] })
  assert.is((await askTransfer(ctx, ended)).statusCode, 409)
  const flaky = await liveCall(ctx)
  ctx.fake.failNext(1, { status: 500 })
  assert.is((await askTransfer(ctx, flaky)).statusCode, 502)
  for (const sid of [ended, flaky]) assert.is((await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first()).escalated, false)
})

transfer('a business without a forwarding number cannot transfer', async (ctx) => {
  const noForward = await insertVoiceBusiness(ctx.t.test.db, { minutes: 100, agent: { forwarding_number: null } })
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: noForward.number })
  assert.is((await askTransfer(ctx, sid)).statusCode, 409)
  assert.is((await askTransfer(ctx, callSid())).statusCode, 404)
})

transfer('when the assistant is unavailable, a business without a forwarding number takes a spoken message', async (ctx) => {
  const noForward = await insertVoiceBusiness(ctx.t.test.db, { minutes: 100, agent: { forwarding_number: null } })
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: noForward.number })
  ctx.fake.calls.set(sid, { sid, status: 'in-progress', updates: [] })
  const response = await ctx.t.app.inject({ method: 'POST', url: `/internal/voice/calls/${sid}/fallback`, headers: { authorization: `Bearer ${ctx.t.app.config.voice.workerSecret}` }, payload: {} })
  assert.is(response.statusCode, 202)
  assert.equal(response.json(), { status: 'message' })
  assert.match(ctx.fake.calls.get(sid)?.updates[0]?.Twiml ?? '', /<Gather input="speech"[^>]*action="[^"]*\/voice\/message"/)
  assert.is((await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first()).outcome, 'message_model_unavailable')
})

transfer.run()
