import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { verifyCallToken } from './call-token.ts'
import { callSid, e164, insertVoiceBusiness, minutesOf, postTwilio, type VoiceBusiness } from './testing/voice-fixture.ts'

/** The inbound call webhook: signatures, gating, reservations and the TwiML answer. */
const inbound = suite<{ t: TestApp }>('voice: inbound call webhook')

inbound.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
})
inbound.after((ctx) => ctx.t.close())

const ring = (t: TestApp, business: VoiceBusiness, sid = callSid(), from = '+15551230000') => postTwilio(t.app, '/voice/inbound', { CallSid: sid, From: from, To: business.number, AccountSid: `AC${'0'.repeat(32)}` })
const callsOf = (t: TestApp, business: VoiceBusiness) => t.test.db('calls').where({ business_id: business.businessId })
const streamToken = (xml: string) => xml.match(/<Parameter name="callToken" value="([^"]+)"/)?.[1] ?? ''

inbound('a missing, wrong or misdirected signature is refused with 403 and writes nothing', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100 })
  const params = { CallSid: callSid(), From: '+15551230000', To: business.number }
  assert.is((await postTwilio(t.app, '/voice/inbound', params, { signature: '' })).statusCode, 403)
  assert.is((await postTwilio(t.app, '/voice/inbound', params, { signature: 'bm90IGEgc2lnbmF0dXJl' })).statusCode, 403)
  assert.is((await postTwilio(t.app, '/voice/inbound', params, { signedUrl: 'https://evil.example.com/voice/inbound' })).statusCode, 403)
  assert.equal(await callsOf(t, business), [])
  assert.equal(await minutesOf(t.test.db, business.billingAccountId), { balance: 100, ledger: 100 })
})

inbound('a malformed body is refused with 400 and writes nothing', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100 })
  for (const params of [{ From: '+15551230000', To: business.number }, { CallSid: 'CA123', From: '+1555', To: business.number }, { CallSid: callSid(), From: '', To: business.number }]) {
    assert.is((await postTwilio(t.app, '/voice/inbound', params as Record<string, string>)).statusCode, 400, JSON.stringify(params))
  }
  assert.equal(await callsOf(t, business), [])
})

inbound('a number no business owns gets a polite message and no call record', async ({ t }) => {
  const response = await postTwilio(t.app, '/voice/inbound', { CallSid: callSid(), From: '+15551230000', To: e164() })
  assert.is(response.statusCode, 200)
  assert.match(response.body, /not in service/)
  assert.match(response.body, /<Hangup\/>/)
})

inbound('an accepted call discloses the AI, asks for consent, and reserves minutes', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100 })
  const response = await ring(t, business)
  assert.is(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /text\/xml/)
  assert.match(response.body, /<Gather input="speech dtmf" numDigits="1"[^>]*action="http:\/\/127\.0\.0\.1:0\/voice\/consent"/)
  assert.match(response.body, /You are speaking with an AI assistant\. May we record this call\?/)
  const [call] = await callsOf(t, business)
  assert.equal([call.status, call.reserved_minutes, call.direction], ['in_progress', 10, 'inbound'])
  assert.is((await t.test.db('consent_records').where({ call_id: call.id }).first()).decision, 'pending')
  assert.equal(await minutesOf(t.test.db, business.billingAccountId), { balance: 90, ledger: 90 })
})

inbound('a retried webhook for the same call answers the same and reserves nothing more', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100 })
  const sid = callSid()
  const first = await ring(t, business, sid)
  const again = await ring(t, business, sid)
  assert.is(again.body, first.body)
  assert.is((await callsOf(t, business)).length, 1)
  assert.equal(await minutesOf(t.test.db, business.billingAccountId), { balance: 90, ledger: 90 })
})

inbound('blocked callers are refused without using minutes, whether blocked by the business or the organization', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100 })
  await t.test.db('blocked_numbers').insert([
    { organization_id: business.organizationId, e164: '+15559990001' },
    { organization_id: business.organizationId, business_id: business.businessId, e164: '+15559990002' },
  ])
  for (const from of ['+15559990001', '+15559990002']) {
    const response = await ring(t, business, callSid(), from)
    assert.match(response.body, /cannot be completed/)
  }
  assert.equal((await callsOf(t, business)).map((c: { refusal_reason: string }) => c.refusal_reason), ['blocked', 'blocked'])
  assert.equal(await minutesOf(t.test.db, business.billingAccountId), { balance: 100, ledger: 100 })
})

inbound('suspended organizations and invalid subscriptions are refused politely, with the reason recorded', async ({ t }) => {
  const suspended = await insertVoiceBusiness(t.test.db, { minutes: 100 })
  await t.test.db('organizations').where({ id: suspended.organizationId }).update({ status: 'suspended', suspended_at: new Date() })
  const canceled = await insertVoiceBusiness(t.test.db, { minutes: 100, subscriptionStatus: 'canceled' })
  const graced = await insertVoiceBusiness(t.test.db, { minutes: 100, subscriptionStatus: 'past_due' })
  await t.test.db('billing_accounts').where({ id: graced.billingAccountId }).update({ grace_until: new Date(Date.now() + 86_400_000) })
  assert.match((await ring(t, suspended)).body, /not taking calls/)
  assert.match((await ring(t, canceled)).body, /not available/)
  assert.match((await ring(t, graced)).body, /<Gather/)
  assert.equal((await callsOf(t, suspended))[0].refusal_reason, 'organization_inactive')
  assert.equal((await callsOf(t, canceled))[0].refusal_reason, 'subscription_invalid')
})

inbound('out of minutes: refused by default, or forwarded, or a message taken, as the business chose', async ({ t }) => {
  const refuse = await insertVoiceBusiness(t.test.db, { minutes: 0 })
  const forward = await insertVoiceBusiness(t.test.db, { minutes: 0, agent: { out_of_minutes_behavior: 'forward' } })
  const message = await insertVoiceBusiness(t.test.db, { minutes: 0, agent: { out_of_minutes_behavior: 'take_message' } })
  assert.match((await ring(t, refuse)).body, /cannot take your call right now/)
  assert.equal((await callsOf(t, refuse))[0].refusal_reason, 'no_minutes')
  const dial = (await ring(t, forward, callSid(), '+15551112222')).body
  assert.match(dial, /<Dial callerId="\+15551112222" timeout="30" action="[^"]*\/voice\/transfer-result" method="POST">\+15005550001<\/Dial>/)
  assert.match((await ring(t, message)).body, /<Gather input="speech"[^>]*action="[^"]*\/voice\/message"/)
  assert.equal((await callsOf(t, message))[0].outcome, 'message_no_minutes')
})

inbound('outside working hours (in the business\'s time zone) the after-hours choice applies', async ({ t }) => {
  // Open only on a weekday that is not today in Tokyo.
  const today = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', weekday: 'short' }).format(new Date()).toLowerCase()
  const otherDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].find((d) => !today.startsWith(d)) as string
  const hours = { [otherDay]: [{ open: '00:00', close: '23:59' }] }
  const closed = await insertVoiceBusiness(t.test.db, { minutes: 100, agent: { working_hours: hours, after_hours_behavior: 'forward' } })
  await t.test.db('businesses').where({ id: closed.businessId }).update({ time_zone: 'Asia/Tokyo' })
  assert.match((await ring(t, closed)).body, /<Dial/)
  assert.equal(await minutesOf(t.test.db, closed.billingAccountId), { balance: 100, ledger: 100 })
})

inbound('staff-first rings the business before the AI; nobody answering hands the call to the AI', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100, agent: { staff_first_seconds: 15 } })
  const sid = callSid()
  assert.match((await ring(t, business, sid)).body, /<Dial callerId="\+15551230000" timeout="15" action="[^"]*\/voice\/staff-result"/)
  const noAnswer = await postTwilio(t.app, '/voice/staff-result', { CallSid: sid, DialCallStatus: 'no-answer' })
  assert.match(noAnswer.body, /<Gather input="speech dtmf"/)
  const answeredSid = callSid()
  await ring(t, business, answeredSid)
  const answered = await postTwilio(t.app, '/voice/staff-result', { CallSid: answeredSid, DialCallStatus: 'completed' })
  assert.not.match(answered.body, /<Gather|<Connect/)
  assert.is((await t.test.db('calls').where({ twilio_call_sid: answeredSid }).first()).answered_by, 'human')
})

inbound('with recording off, the AI is disclosed and the call connects without a consent question', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100, agent: { recording_enabled: false } })
  const sid = callSid()
  const response = await ring(t, business, sid)
  assert.match(response.body, /<Say language="en-US">You are speaking with an AI assistant\.<\/Say><Connect><Stream url="ws:\/\/127\.0\.0\.1:0\/voice\/stream">/)
  const claims = await verifyCallToken(t.app.config.voice.workerSecret as string, streamToken(response.body), sid)
  assert.equal([claims.recording, claims.mode, claims.maxDurationSeconds, claims.businessId], [false, 'conversation', 600, business.businessId])
  assert.is((await t.test.db('consent_records').where({ call_id: claims.callId })).length, 0)
})

inbound('a plan without recording records nothing, even with recording on in the agent (after a downgrade, say)', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100, plan: 'free', subscriptionStatus: 'none', agent: { recording_enabled: true } })
  const sid = callSid()
  const response = await ring(t, business, sid)
  assert.not.match(response.body, /<Gather/, 'no consent question')
  const claims = await verifyCallToken(t.app.config.voice.workerSecret as string, streamToken(response.body), sid)
  assert.is(claims.recording, false)
})

inbound('owners hear once per period that minutes are running low', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 35 })
  await ring(t, business)
  await ring(t, business)
  // Alerts are sent after the answer; give them a moment.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const alerts = t.app.mailer.outbox.filter((m) => m.to === business.ownerEmail)
  assert.is(alerts.length, 1)
  assert.match(alerts[0]?.subject ?? '', /(15|25) minutes of calls left/)
  assert.ok((await t.test.db('billing_accounts').where({ id: business.billingAccountId }).first()).low_balance_alerted_at)
})

inbound('owners hear once per period that the minutes ran out, however many calls then go unanswered', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 0 })
  for (let i = 0; i < 3; i++) assert.match((await ring(t, business)).body, /cannot take your call/)
  const told = async () => t.app.mailer.outbox.filter((m) => m.to === business.ownerEmail && /no call minutes left/.test(m.subject))
  const deadline = Date.now() + 3000
  while ((await told()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.is((await told()).length, 1)
  assert.match((await told())[0]?.text ?? '', /callers hear a polite message/)
})

inbound('50 concurrent calls against minutes for 10: exactly 10 are answered and the balance never goes negative', async ({ t }) => {
  const business = await insertVoiceBusiness(t.test.db, { minutes: 100 })
  const responses = await Promise.all(Array.from({ length: 50 }, () => ring(t, business)))
  const answered = responses.filter((r) => r.body.includes('<Gather')).length
  const refused = responses.filter((r) => r.body.includes('cannot take your call')).length
  assert.equal([answered, refused], [10, 40])
  assert.equal(await minutesOf(t.test.db, business.billingAccountId), { balance: 0, ledger: 0 })
  const calls = await callsOf(t, business)
  assert.is(calls.filter((c: { reserved_minutes: number }) => c.reserved_minutes === 10).length, 10)
  // Every answered call ends after 61 seconds: two minutes each are billed and the rest released.
  await Promise.all(calls.filter((c: { status: string }) => c.status === 'in_progress').map((c: { twilio_call_sid: string }) => postTwilio(t.app, '/voice/status', { CallSid: c.twilio_call_sid, CallStatus: 'completed', CallDuration: '61', SequenceNumber: '5' })))
  assert.equal(await minutesOf(t.test.db, business.billingAccountId), { balance: 80, ledger: 80 })
})

inbound.run()
