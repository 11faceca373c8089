import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { signCallToken, verifyCallToken } from './call-token.ts'
import { isOpen } from './working-hours.ts'

const hours = suite('voice: working hours and call tokens')

const WEEKDAYS_9_TO_5 = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ open: '09:00', close: '17:00' }]]))

hours('hours are read in the business\'s time zone', () => {
  // Monday 2026-11-30 14:30 UTC is 09:30 in New York and 23:30 in Tokyo.
  const at = new Date('2026-11-30T14:30:00Z')
  assert.is(isOpen(WEEKDAYS_9_TO_5, 'America/New_York', at), true)
  assert.is(isOpen(WEEKDAYS_9_TO_5, 'Asia/Tokyo', at), false)
  assert.is(isOpen(WEEKDAYS_9_TO_5, 'Europe/London', new Date('2026-11-30T17:00:00Z')), false, 'closing time is exclusive')
})

hours('daylight saving time moves with the zone', () => {
  // 13:30 UTC is 09:30 in New York in summer (EDT) but 08:30 in winter (EST).
  assert.is(isOpen(WEEKDAYS_9_TO_5, 'America/New_York', new Date('2026-07-06T13:30:00Z')), true)
  assert.is(isOpen(WEEKDAYS_9_TO_5, 'America/New_York', new Date('2026-12-07T13:30:00Z')), false)
})

hours('weekends, split days and no hours at all', () => {
  assert.is(isOpen(WEEKDAYS_9_TO_5, 'UTC', new Date('2026-11-28T12:00:00Z')), false, 'Saturday')
  const split = { mon: [{ open: '08:00', close: '12:00' }, { open: '13:00', close: '18:00' }] }
  assert.is(isOpen(split, 'UTC', new Date('2026-11-30T12:30:00Z')), false, 'lunch')
  assert.is(isOpen(split, 'UTC', new Date('2026-11-30T13:30:00Z')), true)
  assert.is(isOpen({}, 'UTC', new Date('2026-11-28T03:00:00Z')), true, 'no hours set means always open')
})

hours('a call token is bound to its CallSid and expires', async () => {
  const secret = 's'.repeat(40)
  const claims = { callId: 'c1', callSid: `CA${'a'.repeat(32)}`, businessId: 'b1', recording: true, mode: 'conversation' as const, maxDurationSeconds: 600 }
  const token = await signCallToken(secret, 60, claims)
  assert.equal(await verifyCallToken(secret, token, claims.callSid), claims)
  const refuse = async (promise: Promise<unknown>) => {
    try {
      await promise
      assert.unreachable('accepted')
    } catch (error) {
      assert.is((error as { code?: string }).code, 'UNAUTHENTICATED')
    }
  }
  await refuse(verifyCallToken(secret, token, `CA${'b'.repeat(32)}`))
  await refuse(verifyCallToken('x'.repeat(40), token, claims.callSid))
  await refuse(verifyCallToken(secret, await signCallToken(secret, -1, claims), claims.callSid))
})

hours.run()
