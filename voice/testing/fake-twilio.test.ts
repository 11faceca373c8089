import twilio from 'twilio'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../../core/testing/rejects.ts'
import { RedirectingRequestClient } from '../twilio/twilio-client.ts'
import { startFakeTwilio, type FakeTwilio } from './fake-twilio.ts'

const ACCOUNT_SID = `AC${'0a'.repeat(16)}`
const AUTH_TOKEN = 'fake-auth-token-0123456789abcdef'
const AVAILABLE = ['+14155550100', '+14155550111', '+12125550122', '+14155550133']
const VOICE_URL = 'https://app.answerline.test/voice/incoming'
const STATUS_URL = 'https://app.answerline.test/voice/status'

type ClientOptions = ConstructorParameters<typeof twilio.RequestClient>[0]

interface Ctx {
  fake: FakeTwilio
  client: twilio.Twilio
}

const fakeTwilio = suite<Ctx>('voice: fake Twilio REST API')

// RequestClient options such as timeout and autoRetry only count here: the SDK hands its own timeout and
// autoRetry options to the RequestClient it builds itself, and ignores them when httpClient is given.
const clientFor = (fake: FakeTwilio, token = AUTH_TOKEN, options: ClientOptions = {}) =>
  twilio(ACCOUNT_SID, token, { httpClient: new RedirectingRequestClient(fake.baseUrl, options) })

fakeTwilio.before(async (ctx) => {
  ctx.fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })
  ctx.client = clientFor(ctx.fake)
})
fakeTwilio.before.each((ctx) => {
  ctx.fake.requests.length = 0
  ctx.fake.numbers.clear()
  ctx.fake.calls.clear()
  ctx.fake.available = [...AVAILABLE]
})
fakeTwilio.after(async (ctx) => {
  await ctx.fake.close()
})

fakeTwilio('searches available local numbers by area code, Contains and page size', async ({ client, fake }) => {
  const sf = await client.availablePhoneNumbers('US').local.list({ areaCode: 415 })
  assert.equal(sf.map((n) => n.phoneNumber), ['+14155550100', '+14155550111', '+14155550133'])
  assert.is(sf[0]!.friendlyName, '(415) 555-0100')
  assert.is(sf[0]!.isoCountry, 'US')
  assert.equal(fake.requests[0]!.query, { AreaCode: '415' })
  assert.equal(fake.requests[0]!.path, `/2010-04-01/Accounts/${ACCOUNT_SID}/AvailablePhoneNumbers/US/Local.json`)

  const contains = await client.availablePhoneNumbers('US').local.list({ contains: '5550*22' })
  assert.equal(contains.map((n) => n.phoneNumber), ['+12125550122'])
  const limited = await client.availablePhoneNumbers('US').local.list({ areaCode: 415, limit: 1 })
  assert.equal(limited.map((n) => n.phoneNumber), ['+14155550100'])
  assert.is(fake.requests.at(-1)!.query.PageSize, '1')
})

fakeTwilio('buys, lists, fetches, updates and releases a number', async ({ client, fake }) => {
  const bought = await client.incomingPhoneNumbers.create({
    phoneNumber: '+14155550100',
    voiceUrl: VOICE_URL,
    voiceMethod: 'POST',
    statusCallback: STATUS_URL,
    statusCallbackMethod: 'POST',
  })
  assert.match(bought.sid, /^PN[0-9a-f]{32}$/)
  assert.is(bought.accountSid, ACCOUNT_SID)
  assert.equal([bought.phoneNumber, bought.voiceUrl, bought.statusCallback], ['+14155550100', VOICE_URL, STATUS_URL])
  assert.ok(bought.dateCreated instanceof Date && !Number.isNaN(bought.dateCreated.getTime()), String(bought.dateCreated))
  assert.is(bought.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}/IncomingPhoneNumbers/${bought.sid}.json`)
  assert.equal(fake.requests[0]!.form, {
    PhoneNumber: '+14155550100',
    VoiceUrl: VOICE_URL,
    VoiceMethod: 'POST',
    StatusCallback: STATUS_URL,
    StatusCallbackMethod: 'POST',
  })
  assert.equal(fake.numbers.get(bought.sid), {
    sid: bought.sid,
    phoneNumber: '+14155550100',
    friendlyName: '(415) 555-0100',
    voiceUrl: VOICE_URL,
    voiceMethod: 'POST',
    statusCallback: STATUS_URL,
    statusCallbackMethod: 'POST',
  })
  assert.not.ok(fake.available.includes('+14155550100'), 'a bought number leaves the search')

  const listed = await client.incomingPhoneNumbers.list({ phoneNumber: '+14155550100' })
  assert.equal(listed.map((n) => n.sid), [bought.sid])
  assert.equal(await client.incomingPhoneNumbers.list({ phoneNumber: '+19995550100' }), [])
  const fetched = await client.incomingPhoneNumbers(bought.sid).fetch()
  assert.is(fetched.voiceUrl, VOICE_URL)

  const updated = await client.incomingPhoneNumbers(bought.sid).update({ voiceUrl: `${VOICE_URL}?v=2` })
  assert.is(updated.voiceUrl, `${VOICE_URL}?v=2`)
  assert.is(fake.numbers.get(bought.sid)!.voiceUrl, `${VOICE_URL}?v=2`)
  assert.is(fake.numbers.get(bought.sid)!.statusCallback, STATUS_URL, 'fields left out of an update are kept')

  assert.is(await client.incomingPhoneNumbers(bought.sid).remove(), true)
  assert.is(fake.numbers.size, 0)
  const gone = await rejects(client.incomingPhoneNumbers(bought.sid).fetch())
  assert.equal([gone.status, gone.code], [404, 20404])
})

fakeTwilio('lists follow next_page_uri across pages', async ({ client, fake }) => {
  for (const phoneNumber of AVAILABLE.slice(0, 3)) await client.incomingPhoneNumbers.create({ phoneNumber, voiceUrl: VOICE_URL })
  fake.requests.length = 0
  const all = await client.incomingPhoneNumbers.list({ pageSize: 2 })
  assert.equal(all.map((n) => n.phoneNumber).sort(), AVAILABLE.slice(0, 3).sort())
  assert.equal(fake.requests.map((r) => r.query.Page ?? '0'), ['0', '1'])
})

fakeTwilio('buying a number that is not available is a 400 with code 21422', async ({ client, fake }) => {
  const err = await rejects(client.incomingPhoneNumbers.create({ phoneNumber: '+19995550100', voiceUrl: VOICE_URL }))
  assert.instance(err, twilio.RestException)
  assert.equal([err.status, err.code, err.moreInfo], [400, 21422, 'https://www.twilio.com/docs/errors/21422'])
  assert.is(fake.numbers.size, 0)
})

fakeTwilio('a wrong auth token is a 401 (20003); another account is a 404', async ({ fake, client }) => {
  const err = await rejects(clientFor(fake, 'wrong-token').incomingPhoneNumbers.list())
  assert.instance(err, twilio.RestException)
  assert.equal([err.status, err.code, err.message], [401, 20003, 'Authenticate'])
  const other = await rejects(client.api.v2010.accounts(`AC${'1b'.repeat(16)}`).incomingPhoneNumbers.list())
  assert.equal([other.status, other.code], [404, 20404])
})

fakeTwilio('updating a live call with TwiML is recorded on the call', async ({ client, fake }) => {
  const sid = `CA${'3c'.repeat(16)}`
  fake.calls.set(sid, { sid, status: 'in-progress', updates: [] })
  const twiml = new twilio.twiml.VoiceResponse()
  twiml.say('Transferring you now.')
  const call = await client.calls(sid).update({ twiml })
  assert.equal([call.sid, call.status, call.accountSid], [sid, 'in-progress', ACCOUNT_SID])
  const expected = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Transferring you now.</Say></Response>'
  assert.equal(fake.calls.get(sid)!.updates, [{ Twiml: expected }])
  assert.is(fake.calls.get(sid)!.twiml, expected)

  await client.calls(sid).update({ status: 'completed' })
  assert.is((await client.calls(sid).fetch()).status, 'completed')
})

fakeTwilio('redirecting a completed call is a 400 with code 21220; an unknown call is a 404', async ({ client, fake }) => {
  const sid = `CA${'4d'.repeat(16)}`
  fake.calls.set(sid, { sid, status: 'completed', updates: [] })
  const err = await rejects(client.calls(sid).update({ url: 'https://app.answerline.test/voice/next' }))
  assert.equal([err.status, err.code, err.message], [400, 21220, 'Call is not in-progress. Cannot redirect.'])
  assert.equal(fake.calls.get(sid)!.updates, [])
  const unknown = await rejects(client.calls(`CA${'5e'.repeat(16)}`).fetch())
  assert.equal([unknown.status, unknown.code], [404, 20404])
})

fakeTwilio('failNext: a 500 surfaces once as a RestException and is not retried', async ({ client, fake }) => {
  fake.failNext(1, { status: 500 })
  const err = await rejects(client.incomingPhoneNumbers.list())
  assert.instance(err, twilio.RestException)
  assert.equal([err.status, err.code], [500, 20500])
  assert.is(fake.requests.length, 1)
  assert.equal(await client.incomingPhoneNumbers.list(), [])
})

fakeTwilio('failNext: autoRetry retries a 429 with its own short backoff, not Retry-After', async ({ fake }) => {
  fake.failNext(1, { status: 429, retryAfterSeconds: 5 })
  const noRetry = await rejects(clientFor(fake).incomingPhoneNumbers.list())
  assert.equal([noRetry.status, noRetry.code], [429, 20429])

  fake.failNext(1, { status: 429, retryAfterSeconds: 5 })
  const started = Date.now()
  const retrying = clientFor(fake, AUTH_TOKEN, { autoRetry: true })
  assert.equal(await retrying.incomingPhoneNumbers.list(), [])
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`)
  assert.is(fake.requests.length, 3)
})

fakeTwilio('failNext hang: the request is recorded and the RequestClient timeout cuts it off', async ({ fake }) => {
  fake.failNext(1, 'hang')
  const started = Date.now()
  const err = await rejects(clientFor(fake, AUTH_TOKEN, { timeout: 300 }).incomingPhoneNumbers.list())
  assert.not.instance(err, twilio.RestException)
  assert.is(err.code, 'ECONNABORTED')
  assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`)
  assert.is(fake.requests.length, 1)
})

fakeTwilio.run()
