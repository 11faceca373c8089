import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import type { Config } from '../core/index.ts'
import { insertMembership, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { startFakeTwilio, type FakeTwilio } from '../voice/testing/fake-twilio.ts'
import { insertVoiceBusiness, type VoiceBusiness } from '../voice/testing/voice-fixture.ts'
import { toGlobalId } from './relay/global-id.ts'

/** Buying, attaching and releasing numbers through the twilio SDK, and blocking callers. */
const numbers = suite<{ t: TestApp; fake: FakeTwilio; business: VoiceBusiness; token: string; businessId: string }>('graphql: phone numbers and blocklists')

const ACCOUNT_SID = `AC${'2'.repeat(32)}`
const AUTH_TOKEN = 'numbers-test-auth-token-1234567'

numbers.before(async (ctx) => {
  ctx.fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })
  ctx.fake.available.push('+14155550100', '+14155550111', '+12125550122')
  ctx.t = await openTestApp((config: Config) => buildApp(config), { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_API_BASE_URL: ctx.fake.baseUrl, PUBLIC_BASE_URL: 'https://answer.example.com' })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 100, plan: 'growth' })
  const admin = await insertUser(ctx.t.test.db)
  await insertMembership(ctx.t.test.db, admin.id, ctx.business.organizationId, 'admin')
  const login = await graphqlRequest(ctx.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email: admin.email, password: TEST_PASSWORD } })
  ctx.token = login.data.logIn.tokens.accessToken
  ctx.businessId = toGlobalId('Business', ctx.business.businessId)
})
numbers.after(async (ctx) => {
  await ctx.t.close()
  await ctx.fake.close()
})

const gql = (ctx: { t: TestApp; token: string }, query: string, variables: Record<string, unknown> = {}) => graphqlRequest(ctx.t.app, query, variables, { token: ctx.token })
const PURCHASE = 'mutation($i: PurchasePhoneNumberInput!) { purchasePhoneNumber(input: $i) { phoneNumber { id e164 source } userErrors { field code message } } }'

numbers('available numbers are searched by area code', async (ctx) => {
  const result = await gql(ctx, 'query($b: ID!) { availablePhoneNumbers(businessId: $b, areaCode: 415) { nodes { e164 } } }', { b: ctx.businessId })
  assert.equal(result.data.availablePhoneNumbers.nodes, [{ e164: '+14155550100' }, { e164: '+14155550111' }])
})

numbers('buying a number points its voice URL and status callback at Answerline and records the slot', async (ctx) => {
  const result = await gql(ctx, PURCHASE, { i: { businessId: ctx.businessId, phoneNumber: '+14155550100' } })
  assert.equal(result.data.purchasePhoneNumber.phoneNumber.source, 'PURCHASED')
  const bought = [...ctx.fake.numbers.values()].find((n) => n.phoneNumber === '+14155550100')
  assert.equal([bought?.voiceUrl, bought?.voiceMethod, bought?.statusCallback], ['https://answer.example.com/voice/inbound', 'POST', 'https://answer.example.com/voice/status'])
  const row = await ctx.t.test.db('phone_numbers').where({ e164: '+14155550100' }).first()
  assert.equal([row.status, row.twilio_sid, row.business_id], ['active', bought?.sid, ctx.business.businessId])
  assert.equal((await ctx.t.test.db('number_slot_events').where({ phone_number_id: row.id })).map((e: { kind: string }) => e.kind), ['purchased'])
})

numbers('a number someone else just bought is a user error, and nothing is recorded', async (ctx) => {
  const result = await gql(ctx, PURCHASE, { i: { businessId: ctx.businessId, phoneNumber: '+19995550000' } })
  assert.equal(result.data.purchasePhoneNumber.userErrors.map((e: { code: string }) => e.code), ['NOT_ALLOWED'])
  assert.is(await ctx.t.test.db('phone_numbers').where({ e164: '+19995550000' }).first(), undefined)
})

numbers('Twilio failing is UPSTREAM_UNAVAILABLE and writes nothing', async (ctx) => {
  ctx.fake.failNext(1, { status: 500 })
  const result = await gql(ctx, PURCHASE, { i: { businessId: ctx.businessId, phoneNumber: '+12125550122' } })
  assert.equal(errorCodes(result), ['UPSTREAM_UNAVAILABLE'])
  assert.is(await ctx.t.test.db('phone_numbers').where({ e164: '+12125550122' }).first(), undefined)
})

numbers('a number already in the Twilio account is attached, and the plan\'s slots are a hard limit', async (ctx) => {
  ctx.fake.numbers.set(`PN${'e'.repeat(32)}`, { sid: `PN${'e'.repeat(32)}`, phoneNumber: '+13125550199', friendlyName: 'Old line', voiceUrl: 'https://old.example.com', voiceMethod: 'POST', statusCallback: '', statusCallbackMethod: 'POST' })
  const attached = await gql(ctx, 'mutation($i: AttachPhoneNumberInput!) { attachPhoneNumber(input: $i) { phoneNumber { source e164 } userErrors { code } } }', { i: { businessId: ctx.businessId, phoneNumber: '+13125550199' } })
  assert.equal(attached.data.attachPhoneNumber.phoneNumber, { source: 'ATTACHED', e164: '+13125550199' })
  assert.is(ctx.fake.numbers.get(`PN${'e'.repeat(32)}`)?.voiceUrl, 'https://answer.example.com/voice/inbound')
  // Growth includes 3 numbers: the fixture's, the one bought above, and this one.
  const before = ctx.fake.requests.length
  const full = await gql(ctx, PURCHASE, { i: { businessId: ctx.businessId, phoneNumber: '+14155550111' } })
  assert.equal(full.data.purchasePhoneNumber.userErrors, [{ field: ['input', 'phoneNumber'], code: 'NOT_ALLOWED', message: 'Your plan includes 3 phone numbers; release one or upgrade' }])
  assert.is(ctx.fake.requests.length, before, 'nothing was bought')
})

numbers('releasing a bought number gives it back to Twilio and frees the slot', async (ctx) => {
  const row = await ctx.t.test.db('phone_numbers').where({ e164: '+14155550100' }).first()
  const result = await gql(ctx, 'mutation($i: ReleasePhoneNumberInput!) { releasePhoneNumber(input: $i) { releasedPhoneNumberId userErrors { code } } }', { i: { phoneNumberId: toGlobalId('PhoneNumber', row.id) } })
  assert.is(result.data.releasePhoneNumber.releasedPhoneNumberId, toGlobalId('PhoneNumber', row.id))
  assert.not.ok(ctx.fake.numbers.has(row.twilio_sid))
  assert.is((await ctx.t.test.db('phone_numbers').where({ id: row.id }).first()).status, 'released')
  const listed = await gql(ctx, 'query($b: ID!) { node(id: $b) { ... on Business { phoneNumbers { nodes { e164 } } } } }', { b: ctx.businessId })
  assert.not.ok(JSON.stringify(listed.data).includes('+14155550100'))
})

numbers('callers are blocked for one business or the whole organization, once each, and unblocked', async (ctx) => {
  const orgId = toGlobalId('Organization', ctx.business.organizationId)
  const block = (input: Record<string, unknown>) => gql(ctx, 'mutation($i: BlockNumberInput!) { blockNumber(input: $i) { blockedNumber { id e164 business { id } } userErrors { code } } }', { i: input })
  const orgWide = await block({ organizationId: orgId, phoneNumber: '+15558880001', reason: 'spam' })
  assert.equal(orgWide.data.blockNumber.blockedNumber.business, null)
  const local = await block({ organizationId: orgId, businessId: ctx.businessId, phoneNumber: '+15558880001' })
  assert.equal(local.data.blockNumber.blockedNumber.business, { id: ctx.businessId })
  assert.equal((await block({ organizationId: orgId, phoneNumber: '+15558880001' })).data.blockNumber.userErrors, [{ code: 'TAKEN' }])
  assert.equal((await block({ organizationId: orgId, phoneNumber: '555-0100' })).data.blockNumber.userErrors, [{ code: 'INVALID' }])
  const unblock = await gql(ctx, 'mutation($i: UnblockNumberInput!) { unblockNumber(input: $i) { unblockedNumberId } }', { i: { blockedNumberId: orgWide.data.blockNumber.blockedNumber.id } })
  assert.ok(unblock.data.unblockNumber.unblockedNumberId)
  assert.is((await ctx.t.test.db('blocked_numbers').where({ organization_id: ctx.business.organizationId })).length, 1)
})

numbers.run()
