import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { callSid, insertVoiceBusiness, minutesOf, postTwilio, type VoiceBusiness } from './testing/voice-fixture.ts'

/** Status callbacks repeat and arrive out of order; minutes are settled exactly once. */
const status = suite<{ t: TestApp; business: VoiceBusiness }>('voice: status callbacks and metering')

status.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000 })
})
status.after((ctx) => ctx.t.close())

async function answeredCall(ctx: { t: TestApp; business: VoiceBusiness }): Promise<string> {
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: ctx.business.number })
  return sid
}
const report = (ctx: { t: TestApp }, sid: string, callStatus: string, sequence: number, duration?: number) =>
  postTwilio(ctx.t.app, '/voice/status', { CallSid: sid, CallStatus: callStatus, SequenceNumber: String(sequence), ...(duration !== undefined && { CallDuration: String(duration) }) })
const callOf = (ctx: { t: TestApp }, sid: string) => ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first()

status('a completed call is billed its duration rounded up to the minute, and its reservation released', async (ctx) => {
  const before = await minutesOf(ctx.t.test.db, ctx.business.billingAccountId)
  const sid = await answeredCall(ctx)
  assert.is((await report(ctx, sid, 'completed', 4, 125)).statusCode, 204)
  const call = await callOf(ctx, sid)
  assert.equal([call.status, call.duration_seconds, call.billed_minutes], ['completed', 125, 3])
  assert.ok(call.ended_at)
  assert.equal(await minutesOf(ctx.t.test.db, ctx.business.billingAccountId), { balance: before.balance - 3, ledger: before.ledger - 3 })
})

status('the same final callback twice settles once', async (ctx) => {
  const sid = await answeredCall(ctx)
  await report(ctx, sid, 'completed', 4, 30)
  const after = await minutesOf(ctx.t.test.db, ctx.business.billingAccountId)
  await report(ctx, sid, 'completed', 4, 30)
  await report(ctx, sid, 'completed', 5, 300)
  assert.equal(await minutesOf(ctx.t.test.db, ctx.business.billingAccountId), after)
  assert.is((await callOf(ctx, sid)).billed_minutes, 1)
  const usage = await ctx.t.test.db('minute_ledger').where({ call_id: (await callOf(ctx, sid)).id, kind: 'usage' })
  assert.is(usage.length, 1)
})

status('callbacks out of order: a stale live status is ignored, and nothing reopens a finished call', async (ctx) => {
  const sid = await answeredCall(ctx)
  await report(ctx, sid, 'in-progress', 3)
  await report(ctx, sid, 'ringing', 1)
  assert.is((await callOf(ctx, sid)).status, 'in_progress')
  await report(ctx, sid, 'no-answer', 6, 0)
  await report(ctx, sid, 'in-progress', 2)
  const call = await callOf(ctx, sid)
  assert.equal([call.status, call.billed_minutes], ['no_answer', 0])
})

status('a call longer than its reservation is billed the reservation, never overdrawing', async (ctx) => {
  const sid = await answeredCall(ctx)
  await report(ctx, sid, 'completed', 4, 3600)
  assert.is((await callOf(ctx, sid)).billed_minutes, 10)
  const balance = await minutesOf(ctx.t.test.db, ctx.business.billingAccountId)
  assert.is(balance.balance, balance.ledger)
})

status('a refused call stays refused and costs nothing', async (ctx) => {
  const empty = await insertVoiceBusiness(ctx.t.test.db, { minutes: 0 })
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: empty.number })
  await report(ctx, sid, 'completed', 2, 9)
  const call = await callOf(ctx, sid)
  assert.equal([call.status, call.refusal_reason, call.billed_minutes, call.duration_seconds], ['refused', 'no_minutes', 0, 9])
})

status('a callback for an unknown call is acknowledged and ignored; a malformed one is a 400', async (ctx) => {
  assert.is((await report(ctx, callSid(), 'completed', 1, 10)).statusCode, 204)
  assert.is((await postTwilio(ctx.t.app, '/voice/status', { CallSid: callSid(), CallStatus: 'completed', CallDuration: 'ten' })).statusCode, 400)
})

status.run()
