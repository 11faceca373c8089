import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { createClient } from 'graphql-ws'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../app.ts'
import { appendLedger, createS3Client, startEmbeddedS3, type EmbeddedS3 } from '../core/index.ts'
import { insertApiKey, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { callSid, insertVoiceBusiness, postTwilio, type VoiceBusiness } from '../voice/testing/voice-fixture.ts'
import { toGlobalId as g } from './relay/global-id.ts'

type Ctx = { t: TestApp; store: EmbeddedS3; dir: string; business: VoiceBusiness; owner: string; callsOnly: string; calls: Record<string, string> }
const callLog = suite<Ctx>('graphql: the call log (filters, consent, recording links, live call ends, usage)')
const BUCKET = 'call-log-test'
const AUDIO = Buffer.from('RIFF....WAVEfmt recorded audio')
const DAY = 86_400_000

let sequence = 0
/** A call with, optionally, its consent record, recording and lead. */
async function insertCall(ctx: Ctx, call: Record<string, unknown>, extra: { daysAgo: number; consent?: Record<string, unknown>; recording?: string; lead?: Record<string, unknown> }): Promise<string> {
  const db = ctx.t.test.db
  const businessId = ctx.business.businessId
  const startedAt = new Date(Date.now() - extra.daysAgo * DAY)
  const [row] = await db('calls')
    .insert({ business_id: businessId, twilio_call_sid: `CA${(++sequence).toString(16).padStart(32, 'f')}`, direction: 'inbound', to_number: ctx.business.number, status: 'completed', started_at: startedAt, ...call })
    .returning('id')
  if (extra.consent) await db('consent_records').insert({ call_id: row.id, business_id: businessId, language: 'en-US', prompt_text: 'May we record?', asked_at: startedAt, ...extra.consent })
  if (extra.recording) {
    const key = `recordings/${businessId}/${row.id}.wav`
    await db('recordings').insert({ call_id: row.id, business_id: businessId, storage_key: key, status: extra.recording, ...(extra.recording === 'complete' && { completed_at: startedAt, bytes: AUDIO.length }) })
    const s3 = createS3Client(ctx.t.app.config.storage)
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: AUDIO, ContentType: 'audio/wav' }))
    s3.destroy()
  }
  if (extra.lead) await db('leads').insert({ business_id: businessId, call_id: row.id, extraction_method: 'fallback', fallback_reason: 'unavailable', ...extra.lead })
  return row.id
}

const gql = (ctx: Ctx, query: string, variables: Record<string, unknown> = {}, token: string = ctx.owner) => graphqlRequest(ctx.t.app, query, variables, { token })
const LIST = `query($b: ID!, $f: CallFilter, $first: Int, $after: String) {
  node(id: $b) { ... on Business { calls(filter: $f, first: $first, after: $after) { totalCount nodes { fromNumber } pageInfo { hasNextPage endCursor } } } }
}`
const from = async (ctx: Ctx, filter: Record<string, unknown>, token?: string) => (await gql(ctx, LIST, { b: g('Business', ctx.business.businessId), f: filter }, token)).data.node.calls.nodes.map((n: { fromNumber: string }) => n.fromNumber)
const CALL = 'query($id: ID!) { node(id: $id) { ... on Call { hasRecording recordingUrl consent { decision method attempts askedAt decidedAt withdrawnAt } } } }'

callLog.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-call-log-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: BUCKET })
  ctx.t = await openTestApp(buildApp, { S3_ENDPOINT: ctx.store.endpoint, S3_ACCESS_KEY_ID: ctx.store.accessKeyId, S3_SECRET_ACCESS_KEY: ctx.store.secretAccessKey, S3_BUCKET: BUCKET })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 300 })
  const login = await graphqlRequest(ctx.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email: ctx.business.ownerEmail, password: TEST_PASSWORD } })
  ctx.owner = login.data.logIn.tokens.accessToken
  ctx.callsOnly = (await insertApiKey(ctx.t.test.db, ctx.business.organizationId, ['business:read', 'calls:read'])).secret
  const given = (daysAgo: number) => ({ decision: 'given', method: 'dtmf', attempts: 1, decided_at: new Date(Date.now() - daysAgo * DAY + 5_000) })
  ctx.calls = {
    live: await insertCall(ctx, { from_number: '+13105550100', status: 'in_progress', twilio_call_sid: null, direction: 'test' }, { daysAgo: 0, consent: { decision: 'pending' } }),
    dana: await insertCall(ctx, { from_number: '+14155550134', outcome: 'message_taken', summary: 'Kitchen sink leaking under the cabinet.' }, { daysAgo: 1, consent: given(1), recording: 'complete', lead: { name: 'Dana Whitfield', temperature: 'hot' } }),
    omar: await insertCall(ctx, { from_number: '+12125550135', outcome: 'transferred', escalated: true, summary: 'Wants a water heater quote.' }, { daysAgo: 3, consent: { ...given(3), withdrawn_at: new Date() }, recording: 'complete', lead: { name: 'Omar Haddad', temperature: 'warm' } }),
    anon: await insertCall(ctx, { from_number: 'anonymous', status: 'no_answer' }, { daysAgo: 10 }),
    lee: await insertCall(ctx, { from_number: '+14155559999', summary: 'Bathroom remodel.' }, { daysAgo: 20, consent: { decision: 'declined', method: 'speech', attempts: 2, decided_at: new Date(Date.now() - 20 * DAY) }, lead: { name: 'Lee Park', temperature: 'cold' } }),
  }
})
callLog.after(async (ctx) => {
  await ctx.t.close()
  await ctx.store.stop()
  rmSync(ctx.dir, { recursive: true, force: true })
})

callLog('filters: dates, status, outcome, escalation, consent, lead temperature, newest first', async (ctx) => {
  const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString()
  assert.equal(await from(ctx, {}), ['+13105550100', '+14155550134', '+12125550135', 'anonymous', '+14155559999'])
  assert.equal(await from(ctx, { startedAfter: daysAgo(5) }), ['+13105550100', '+14155550134', '+12125550135'])
  assert.equal(await from(ctx, { startedBefore: daysAgo(5) }), ['anonymous', '+14155559999'])
  assert.equal(await from(ctx, { status: ['COMPLETED'] }), ['+14155550134', '+12125550135', '+14155559999'])
  assert.equal(await from(ctx, { status: ['NO_ANSWER', 'IN_PROGRESS'] }), ['+13105550100', 'anonymous'])
  assert.equal(await from(ctx, { outcome: 'transferred' }), ['+12125550135'])
  assert.equal(await from(ctx, { escalated: true }), ['+12125550135'])
  assert.equal(await from(ctx, { escalated: false, startedAfter: daysAgo(5) }), ['+13105550100', '+14155550134'])
  assert.equal(await from(ctx, { consent: 'GIVEN' }), ['+14155550134', '+12125550135'])
  assert.equal(await from(ctx, { consent: 'DECLINED' }), ['+14155559999'])
  assert.equal(await from(ctx, { consent: 'PENDING' }), ['+13105550100'])
  assert.equal(await from(ctx, { consent: 'NOT_COMPLETED' }), [])
  assert.equal(await from(ctx, { temperature: ['HOT', 'COLD'] }), ['+14155550134', '+14155559999'])
  const bad = await gql(ctx, LIST, { b: g('Business', ctx.business.businessId), f: { startedAfter: 'last week' } })
  assert.equal(errorCodes(bad), ['BAD_USER_INPUT'])
})

callLog('search: the caller\'s number from its start, summary words, the lead\'s name', async (ctx) => {
  assert.equal(await from(ctx, { search: '+1415' }), ['+14155550134', '+14155559999'])
  assert.equal(await from(ctx, { search: '1 (212) 555' }), ['+12125550135'])
  assert.equal(await from(ctx, { search: 'sink' }), ['+14155550134'])
  assert.equal(await from(ctx, { search: 'water heat' }), ['+12125550135'])
  assert.equal(await from(ctx, { search: 'whitf' }), ['+14155550134'])
  assert.equal(await from(ctx, { search: 'lee' }), ['+14155559999'])
  assert.equal(await from(ctx, { search: "'); drop table calls; --" }), [])
  assert.equal(await from(ctx, { search: '%' }), [])
})

callLog('lead conditions need leads:read: the temperature filter is refused, and search skips leads', async (ctx) => {
  const refused = await gql(ctx, LIST, { b: g('Business', ctx.business.businessId), f: { temperature: ['HOT'] } }, ctx.callsOnly)
  assert.equal(errorCodes(refused), ['FORBIDDEN'])
  assert.equal(await from(ctx, { search: 'whitf' }, ctx.callsOnly), [])
  assert.equal(await from(ctx, { search: 'sink' }, ctx.callsOnly), ['+14155550134'])
})

callLog('cursor pagination walks every call once, filtered or not', async (ctx) => {
  for (const [filter, expected] of [[{}, 5], [{ status: ['COMPLETED'] }, 3]] as const) {
    const seen: string[] = []
    let after: string | null = null
    for (let page = 0; page < 5; page++) {
      const result = await gql(ctx, LIST, { b: g('Business', ctx.business.businessId), f: filter, first: 2, after })
      const connection = result.data.node.calls
      assert.is(connection.totalCount, expected)
      seen.push(...connection.nodes.map((n: { fromNumber: string }) => n.fromNumber))
      if (!connection.pageInfo.hasNextPage) break
      after = connection.pageInfo.endCursor
    }
    assert.equal(seen, await from(ctx, filter))
    assert.is(new Set(seen).size, expected)
  }
})

callLog('the consent record of a call', async (ctx) => {
  const consentOf = async (call: string) => (await gql(ctx, CALL, { id: g('Call', ctx.calls[call] as string) })).data.node.consent
  const dana = await consentOf('dana')
  assert.equal([dana.decision, dana.method, dana.attempts, dana.withdrawnAt], ['GIVEN', 'dtmf', 1, null])
  assert.ok(Date.parse(dana.decidedAt) > Date.parse(dana.askedAt))
  const omar = await consentOf('omar')
  assert.equal([omar.decision, typeof omar.withdrawnAt], ['GIVEN', 'string'])
  const lee = await consentOf('lee')
  assert.equal([lee.decision, lee.method, lee.attempts, lee.withdrawnAt], ['DECLINED', 'speech', 2, null])
  assert.equal([(await consentOf('live')).decision, (await consentOf('live')).decidedAt], ['PENDING', null])
  assert.is(await consentOf('anon'), null, 'never asked')
})

callLog('a recording link only with recordings:read, a finished recording and consent that stands', async (ctx) => {
  const dana = (await gql(ctx, CALL, { id: g('Call', ctx.calls.dana as string) })).data.node
  assert.is(dana.hasRecording, true)
  const url = new URL(dana.recordingUrl)
  assert.is(url.searchParams.get('X-Amz-Expires'), '300')
  assert.ok(url.pathname.endsWith(`${ctx.calls.dana}.wav`))
  const download = await fetch(url)
  assert.is(download.status, 200)
  assert.equal(Buffer.from(await download.arrayBuffer()), AUDIO)

  const withdrawn = (await gql(ctx, CALL, { id: g('Call', ctx.calls.omar as string) })).data.node
  assert.equal([withdrawn.hasRecording, withdrawn.recordingUrl], [false, null])
  const declined = (await gql(ctx, CALL, { id: g('Call', ctx.calls.lee as string) })).data.node
  assert.equal([declined.hasRecording, declined.recordingUrl], [false, null])
  const withoutPermission = (await gql(ctx, CALL, { id: g('Call', ctx.calls.dana as string) }, ctx.callsOnly)).data.node
  assert.equal([withoutPermission.hasRecording, withoutPermission.recordingUrl], [true, null])

  await ctx.t.test.db('recordings').where({ call_id: ctx.calls.dana }).update({ status: 'deleted', deleted_at: new Date() })
  try {
    assert.equal((await gql(ctx, CALL, { id: g('Call', ctx.calls.dana as string) })).data.node.recordingUrl, null)
  } finally {
    await ctx.t.test.db('recordings').where({ call_id: ctx.calls.dana }).update({ status: 'complete', deleted_at: null })
  }
})

callLog('callChanged: subscribers hear a call end within a second of the status callback, and of a test call\'s end', async (ctx) => {
  const url = (await ctx.t.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws') + '/graphql'
  const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${ctx.owner}` } })
  const received: Array<{ at: number; call: any }> = []
  let notify = () => {}
  client.subscribe(
    { query: 'subscription($b: ID!) { callChanged(businessId: $b) { id fromNumber status durationSeconds } }', variables: { b: g('Business', ctx.business.businessId) } },
    { next: (value) => (received.push({ at: Date.now(), call: (value.data as any).callChanged }), notify()), error: (error) => assert.unreachable(JSON.stringify(error)), complete: () => {} },
  )
  const next = () => new Promise<void>((resolve, reject) => {
    notify = resolve
    setTimeout(() => reject(new Error('no callChanged within a second')), 1_000)
  })
  try {
    await new Promise((resolve) => setTimeout(resolve, 200))
    await ctx.t.app.events.publish({ type: 'call.completed', businessId: '00000000-0000-4000-8000-000000000000', callId: ctx.calls.dana as string })
    const sid = callSid()
    await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: ctx.business.number })
    const heard = next()
    const callbackDone = Date.now()
    const status = await postTwilio(ctx.t.app, '/voice/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '42', SequenceNumber: '3' })
    assert.is(status.statusCode, 204)
    await heard
    const call = await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first('id')
    assert.equal(received.map((r) => r.call), [{ id: g('Call', call.id), fromNumber: '+15551230000', status: 'COMPLETED', durationSeconds: 42 }])
    assert.ok((received[0]?.at as number) - callbackDone < 1_000)

    const testCallEnded = next()
    const end = await ctx.t.app.inject({ method: 'POST', url: `/internal/voice/calls/${ctx.calls.live}/end`, headers: { authorization: `Bearer ${ctx.t.app.config.voice.workerSecret}` }, payload: { durationSeconds: 12 } })
    assert.is(end.statusCode, 204)
    await testCallEnded
    assert.equal(received[1]?.call, { id: g('Call', ctx.calls.live as string), fromNumber: '+13105550100', status: 'COMPLETED', durationSeconds: 12 })
  } finally {
    await client.dispose()
  }
})

callLog('usage: minutes left and used this period, for the meter', async (ctx) => {
  const db = ctx.t.test.db
  const periodStart = new Date(Date.now() - 10 * DAY)
  await db('billing_accounts').where({ id: ctx.business.billingAccountId }).update({ current_period_start: periodStart, current_period_end: new Date(periodStart.getTime() + 30 * DAY) })
  await db.transaction((trx) => appendLedger(trx, ctx.business.billingAccountId, [{ kind: 'topup', bucket: 'topup', minutes: 100 }, { kind: 'usage', bucket: 'included', minutes: -7, callId: ctx.calls.dana as string, businessId: ctx.business.businessId }]))
  const USAGE = 'query($b: ID!) { node(id: $b) { ... on Business { usage { plan includedMinutesLeft topupMinutesLeft includedMinutesPerPeriod minutesUsedThisPeriod periodEnd subscriptionStatus } } } }'
  const account = await db('billing_accounts').where({ id: ctx.business.billingAccountId }).first()
  const used = -Number((await db('minute_ledger').where({ billing_account_id: account.id, kind: 'usage' }).sum({ s: 'minutes' }).first())?.s ?? 0)
  assert.ok(used >= 7)
  const usage = (await gql(ctx, USAGE, { b: g('Business', ctx.business.businessId) })).data.node.usage
  assert.equal(usage, {
    plan: 'STARTER',
    includedMinutesLeft: account.included_minutes,
    topupMinutesLeft: 100,
    includedMinutesPerPeriod: 300,
    minutesUsedThisPeriod: used,
    periodEnd: account.current_period_end.toISOString(),
    subscriptionStatus: 'active',
  })
  await db('billing_accounts').where({ id: account.id }).update({ current_period_start: new Date(), current_period_end: new Date(Date.now() + 30 * DAY) })
  assert.is((await gql(ctx, USAGE, { b: g('Business', ctx.business.businessId) })).data.node.usage.minutesUsedThisPeriod, 0, 'earlier usage belongs to the previous period')
  assert.equal(errorCodes(await gql(ctx, USAGE, { b: g('Business', ctx.business.businessId) }, ctx.callsOnly)), ['FORBIDDEN'])
})

callLog.run()
