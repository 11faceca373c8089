import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { freePort } from '../../core/testing/free-port.ts'
import { rejects } from '../../core/testing/rejects.ts'
import { startFakeTwilio, type FakeTwilio } from '../testing/fake-twilio.ts'
import { createTwilioClient } from './twilio-client.ts'

const ACCOUNT_SID = `AC${'7'.repeat(32)}`
const AUTH_TOKEN = 'twilio-errors-auth-token-1234'

/** Failed Twilio REST requests are reported (for answerline_provider_errors_total) by status class, never by anything that names a call. */
const errors = suite<{ fake: FakeTwilio }>('voice: Twilio request failures are reported')
errors.before(async (ctx) => {
  ctx.fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })
})
errors.after((ctx) => ctx.fake.close())

errors('a 5xx and a 4xx are reported by class, a success is not, and the caller still gets the error', async ({ fake }) => {
  const kinds: string[] = []
  const client = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: fake.baseUrl }, (kind) => kinds.push(kind))
  assert.ok(client)
  await client.incomingPhoneNumbers.list()
  assert.equal(kinds, [])
  fake.failNext(1, { status: 503 })
  await rejects(client.incomingPhoneNumbers.list())
  await rejects(client.calls(`CA${'0'.repeat(32)}`).fetch())
  assert.equal(kinds, ['http_5xx', 'http_4xx'])
})

errors('an unreachable Twilio is reported as a network failure', async () => {
  const kinds: string[] = []
  const client = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: `http://127.0.0.1:${await freePort()}` }, (kind) => kinds.push(kind))
  await rejects((client as NonNullable<typeof client>).incomingPhoneNumbers.list())
  assert.equal(kinds, ['network'])
})

errors.run()
