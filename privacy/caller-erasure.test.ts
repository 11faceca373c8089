/**
 * A caller's erasure, as a business asks for it through GraphQL and the worker serves it: afterwards
 * no column of any table (the job queue's included) holds the caller's number or email, no object
 * of theirs is left in the store, and another caller of the same business and another business keep
 * everything. The connectors hear of it; refusals (bad input, another tenant, a widget's token) and a
 * failing object store change nothing.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { S3Client } from '@aws-sdk/client-s3'
import pino from 'pino'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { insertApiKey, insertMembership, insertOrganization, insertUser } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { rejects } from '../core/testing/rejects.ts'
import { toGlobalId as g } from '../graphql/relay/global-id.ts'
import { eventually } from '../leads/testing/lead-fixture.ts'
import { connectorErasure } from './connector-erasure.ts'
import { callerRequestHandlers } from './caller-requests.ts'
import { serveDataRequest } from './data-request-job.ts'
import { createDataRequest, type DataRequestRow } from './data-requests.ts'
import { placesHolding, seedCall, type Person } from './testing/caller-seed.ts'
import { closePrivacyApp, objectKeys, openPrivacyApp, tokenFor, type PrivacyApp } from './testing/privacy-fixture.ts'

interface Ctx {
  p: PrivacyApp
  receiver: Server
  received: Array<{ headers: Record<string, unknown>; body: string }>
  hookUrl: string
  organizationId: string
  businessId: string
  owner: string
  ownerEmail: string
}

const erasure = suite<Ctx>('privacy: erasing a caller (GraphQL, the job, every table, the object store)')

const DANA: Person = { name: 'Dana Whitfield', phone: '+14155550134', email: 'dana.whitfield@example.org', spoken: '415 555 0134' }
const LEE: Person = { name: 'Lee Park', phone: '+14155550177', email: 'lee.park@example.net', spoken: '(415) 555-0177' }
/** How the business types Dana in: national format, mixed case. */
const DANA_INPUT = { phone: '(415) 555-0134', email: ' Dana.Whitfield@Example.org ' }

const ERASE = 'mutation($i: RequestCallerErasureInput!) { requestCallerErasure(input: $i) { dataRequest { id status kind subjectType } userErrors { field code } } }'
const EXPORT = 'mutation($i: RequestCallerExportInput!) { requestCallerExport(input: $i) { dataRequest { id status } userErrors { field code } } }'
const REQUEST = `query($id: ID!) { node(id: $id) { ... on DataRequest { id status kind completedAt expiresAt downloadUrl error counts
  deliveredTo { totalCount nodes { connectorName connectorKind externalId subjectType deliveredAt erasure erasureError connector { id } } } } } }`

erasure.before(async (ctx) => {
  ctx.p = await openPrivacyApp()
  ctx.received = []
  ctx.receiver = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      ctx.received.push({ headers: request.headers, body })
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => ctx.receiver.listen(0, '127.0.0.1', resolve))
  ctx.hookUrl = `http://127.0.0.1:${(ctx.receiver.address() as AddressInfo).port}/hooks`
  const db = ctx.p.t.test.db
  const org = await insertOrganization(db, { kind: 'direct', name: 'Harbor Plumbing' })
  ctx.organizationId = org.id
  ctx.businessId = org.businessIds[0] as string
  const owner = await insertUser(db)
  await insertMembership(db, owner.id, org.id, 'owner')
  ctx.ownerEmail = owner.email
  ctx.owner = await tokenFor(ctx.p, owner.email)
})
erasure.after(async (ctx) => {
  await closePrivacyApp(ctx.p)
  await new Promise((resolve) => ctx.receiver?.close(resolve))
})

const gql = (ctx: Ctx, query: string, variables: Record<string, unknown>, token: string | null = ctx.owner) => graphqlRequest(ctx.p.t.app, query, variables, token ? { token } : {})
const rowOf = (ctx: Ctx, id: string): Promise<DataRequestRow> => ctx.p.t.test.db('data_requests').where({ id }).first()
const localIdOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1] as string
const count = async (ctx: Ctx, table: string, where: Record<string, unknown>) => Number((await ctx.p.t.test.db(table).where(where).count('* as n').first())?.n)

/** A webhook connector created as a business would, pointed at the test's receiver. */
async function webhookConnector(ctx: Ctx, businessId: string, name: string): Promise<string> {
  const created = await gql(ctx, 'mutation($i: CreateConnectorInput!) { createConnector(input: $i) { connector { id } userErrors { code message } } }', { i: { businessId: g('Business', businessId), kind: 'WEBHOOK', name, config: { url: ctx.hookUrl } } })
  assert.equal(created.data.createConnector.userErrors, [])
  return localIdOf(created.data.createConnector.connector.id)
}

/** A CRM connector that was turned off: it cannot be asked to erase anything. */
async function disabledCrm(ctx: Ctx, businessId: string): Promise<string> {
  const [row] = await ctx.p.t.test.db('connectors').insert({ business_id: businessId, kind: 'hubspot', name: 'Old HubSpot', status: 'disabled', disabled_reason: 'turned off' }).returning('id')
  return row.id
}

/** Everything kept about a seeded call, as counts per table, and whether its recording is in the store. */
async function footprint(ctx: Ctx, call: { callId: string; leadId: string; contactId: string; recordingKey: string; deliveryIds: string[] }) {
  const db = ctx.p.t.test.db
  return {
    call: await count(ctx, 'calls', { id: call.callId }),
    transcript: await count(ctx, 'transcript_segments', { call_id: call.callId }),
    consent: await count(ctx, 'consent_records', { call_id: call.callId }),
    recording: await count(ctx, 'recordings', { call_id: call.callId }),
    lead: await count(ctx, 'leads', { id: call.leadId }),
    notes: await count(ctx, 'lead_notes', { lead_id: call.leadId }),
    revisions: await count(ctx, 'lead_revisions', { lead_id: call.leadId }),
    contact: await count(ctx, 'contacts', { id: call.contactId }),
    deliveries: Number((await db('deliveries').whereIn('id', call.deliveryIds).count('* as n').first())?.n),
    attempts: Number((await db('delivery_attempts').whereIn('delivery_id', call.deliveryIds).count('* as n').first())?.n),
    inStore: (await objectKeys(ctx.p, call.recordingKey)).length,
  }
}

erasure('after the erasure no table holds the caller\'s number or email and none of their objects is left; the other caller and the other business keep everything', async (ctx) => {
  const db = ctx.p.t.test.db
  const b = ctx.businessId
  const hook = await webhookConnector(ctx, b, 'Office CRM hook')
  const crm = await disabledCrm(ctx, b)
  const connectorIds = [hook, crm]

  // Dana: her own calls; a call from her work phone whose lead has her email; an outbound call to her;
  // an anonymous call whose lead names her number in a capture field; blocks of her number.
  const danaCalls = [
    await seedCall(ctx.p, b, DANA, { connectorIds }),
    await seedCall(ctx.p, b, { ...DANA, phone: '+14155550999' }, { connectorIds }),
    await seedCall(ctx.p, b, DANA, { direction: 'outbound' }),
  ]
  const anonymous = await seedCall(ctx.p, b, { ...LEE, name: 'Unknown', phone: '+14155550166', email: 'unknown@example.com' }, { from: 'anonymous' })
  await db('leads').where({ id: anonymous.leadId }).update({ custom_fields: { callback: DANA.phone } })
  await db('blocked_numbers').insert([{ organization_id: ctx.organizationId, business_id: b, e164: DANA.phone, reason: 'Spam' }, { organization_id: ctx.organizationId, e164: DANA.phone }])
  // Lee, another caller, mentions Dana in passing: the mention goes, Lee's call stays.
  const lee = await seedCall(ctx.p, b, LEE, { connectorIds })
  await db('transcript_segments').insert({ call_id: lee.callId, business_id: b, seq: 2, speaker: 'caller', text: 'My neighbour Dana is on 415-555-0134.', started_ms: 3000 })
  await db('lead_notes').insert({ lead_id: lee.leadId, business_id: b, body: 'Referred by DANA.WHITFIELD@example.org' })
  // Another business, with its own caller.
  const other = await insertOrganization(db, { kind: 'direct', name: 'Elsewhere Dental' })
  const otherCall = await seedCall(ctx.p, other.businessIds[0] as string, { name: 'Kim Otto', phone: '+14155550155', email: 'kim@example.com', spoken: '415 555 0155' })
  const leeBefore = await footprint(ctx, lee)
  const otherBefore = await footprint(ctx, otherCall)

  // What the business finds first, then an export of it.
  const found = await gql(ctx, `query($b: ID!, $phone: String, $email: String) { node(id: $b) { ... on Business { callerData(phone: $phone, email: $email) {
    phone email calls { totalCount } leads { totalCount } contacts { totalCount } transcriptSegmentCount recordingCount
    deliveredTo { totalCount nodes { connectorName connectorKind externalId subjectType erasure } } } } } }`, { b: g('Business', b), ...DANA_INPUT })
  const data = found.data.node.callerData
  assert.equal([data.phone, data.email, data.calls.totalCount, data.leads.totalCount, data.contacts.totalCount, data.transcriptSegmentCount, data.recordingCount], [DANA.phone, DANA.email, 4, 4, 2, 8, 4])
  assert.is(data.deliveredTo.totalCount, 8)
  assert.equal(new Set(data.deliveredTo.nodes.map((n: { connectorKind: string }) => n.connectorKind)), new Set(['WEBHOOK', 'HUBSPOT']))
  assert.ok(data.deliveredTo.nodes.every((n: { erasure: string | null }) => n.erasure === null))
  const exported = await gql(ctx, EXPORT, { i: { businessId: g('Business', b), ...DANA_INPUT } })
  assert.equal(exported.data.requestCallerExport.userErrors, [])
  const exportId = exported.data.requestCallerExport.dataRequest.id
  await eventually(async () => (await rowOf(ctx, localIdOf(exportId))).status === 'completed')
  const archiveKey = `exports/${localIdOf(exportId)}.json`
  assert.equal(await objectKeys(ctx.p, 'exports/'), [archiveKey])

  // The erasure, as the owner asks for it.
  const asked = await gql(ctx, ERASE, { i: { businessId: g('Business', b), ...DANA_INPUT, confirm: true } })
  assert.equal(asked.data.requestCallerErasure.userErrors, [])
  assert.equal([asked.data.requestCallerErasure.dataRequest.kind, asked.data.requestCallerErasure.dataRequest.subjectType], ['ERASURE', 'CALLER'])
  const requestId = localIdOf(asked.data.requestCallerErasure.dataRequest.id)
  await eventually(async () => ['completed', 'failed'].includes((await rowOf(ctx, requestId)).status), 30_000)
  const done = await rowOf(ctx, requestId)
  assert.is(done.status, 'completed', done.error ?? '')

  // Nothing anywhere holds her number (E.164 or the national digits) or her email.
  assert.equal(await placesHolding(db, [DANA.phone, '4155550134', DANA.email]), [])
  const keys = await objectKeys(ctx.p)
  for (const call of danaCalls) assert.not.ok(keys.includes(call.recordingKey), 'her recordings are gone from the store')
  assert.not.ok(keys.includes(archiveKey), 'her earlier export is gone too')
  assert.is(await count(ctx, 'calls', { id: anonymous.callId }), 0, 'the call whose lead named her number went with it')

  // Lee and the other business keep everything; only the mention of Dana left Lee's records.
  assert.equal(await footprint(ctx, lee), leeBefore)
  assert.equal(await footprint(ctx, otherCall), otherBefore)
  const leeText = (await db('transcript_segments').where({ call_id: lee.callId }).orderBy('seq')).map((s: { text: string }) => s.text)
  assert.equal(leeText, ['Hi, this is Lee Park.', `My number is ${LEE.spoken}, and my email is ${LEE.email}.`, 'My neighbour Dana is on [erased].'])
  assert.ok(await db('lead_notes').where({ lead_id: lee.leadId, body: 'Referred by [erased]' }).first())
  assert.ok(await db('leads').where({ id: lee.leadId, phone: LEE.phone, email: LEE.email }).first())

  // The request: counts, the records that had reached connectors and what became of each there.
  const shown = (await gql(ctx, REQUEST, { id: g('DataRequest', requestId) })).data.node
  assert.is(shown.status, 'COMPLETED')
  assert.is(shown.downloadUrl, null)
  assert.equal(
    [shown.counts.calls, shown.counts.leads, shown.counts.recordings, shown.counts.transcriptSegments, shown.counts.blockedNumbers, shown.counts.exportArchives, shown.counts.deliveries, shown.counts.deliveryAttempts],
    [4, 4, 4, 8, 2, 1, 8, 8],
  )
  assert.ok(shown.counts.mentionsRedacted >= 2)
  assert.is(shown.deliveredTo.totalCount, 8)
  const outcomes = shown.deliveredTo.nodes.map((n: Record<string, any>) => `${n.connectorKind}:${n.erasure}:${n.externalId === null}`)
  assert.equal([...new Set(outcomes)].sort(), ['HUBSPOT:NOT_SUPPORTED:false', 'WEBHOOK:ERASED:true'])
  assert.ok(shown.deliveredTo.nodes.every((n: Record<string, any>) => n.deliveredAt && n.connector?.id))
  assert.match(shown.deliveredTo.nodes.find((n: Record<string, any>) => n.connectorKind === 'HUBSPOT').erasureError, /disabled/)

  // The webhook was told, by ids only.
  const notice = ctx.received.find((r) => JSON.parse(r.body).type === 'caller.erased')
  assert.ok(notice, 'the webhook endpoint heard of the erasure')
  assert.ok(notice?.headers['webhook-signature'])
  for (const value of [DANA.phone, '4155550134', DANA.email]) assert.not.ok(notice?.body.includes(value))

  // Audited with counts, told to the owner without her details.
  const audit = await db('audit_log').where({ action: 'caller.erased', target_id: requestId }).first('metadata')
  assert.equal([audit.metadata.calls, audit.metadata.deliveredRecords, audit.metadata.leftInConnectors], [4, 8, 4])
  const told = ctx.p.t.app.mailer.outbox.find((m) => m.to === ctx.ownerEmail && /was erased/.test(m.subject))
  assert.match(told?.text ?? '', /4 records delivered to your connected CRMs/)
  assert.not.ok(/4155550134|dana/i.test(told?.text ?? ''))
})

erasure('bad input, another tenant, a member, a widget\'s token and an unconfirmed erasure are refused and write nothing; asking twice gives one request', async (ctx) => {
  const db = ctx.p.t.test.db
  const b = g('Business', ctx.businessId)
  const before = await count(ctx, 'data_requests', {})
  const errors = async (input: Record<string, unknown>, token?: string | null) => {
    const result = await gql(ctx, ERASE, { i: { businessId: b, confirm: true, ...input } }, token)
    return result.data?.requestCallerErasure?.userErrors.map((e: { field: string[]; code: string }) => `${e.field.at(-1)}:${e.code}`) ?? errorCodes(result)
  }
  assert.equal(await errors({}), ['phone:REQUIRED', 'email:REQUIRED'])
  assert.equal(await errors({ phone: 'call me maybe', email: 'not-an-email' }), ['phone:INVALID', 'email:INVALID'])
  assert.equal(await errors({ phone: '+14155550134', confirm: false }), ['confirm:REQUIRED'])
  await db('phone_numbers').insert({ business_id: ctx.businessId, e164: '+14155559000', source: 'attached' })
  assert.equal(await errors({ phone: '415 555 9000' }), ['phone:NOT_ALLOWED'], 'the business\'s own number')

  const stranger = await insertUser(db)
  const elsewhere = await insertOrganization(db)
  await insertMembership(db, stranger.id, elsewhere.id, 'owner')
  assert.equal(await errors({ phone: '+14155550134' }, await tokenFor(ctx.p, stranger.email)), ['NOT_FOUND'])
  const member = await insertUser(db)
  await insertMembership(db, member.id, ctx.organizationId, 'member')
  assert.equal(await errors({ phone: '+14155550134' }, await tokenFor(ctx.p, member.email)), ['FORBIDDEN'])
  const key = await insertApiKey(db, ctx.organizationId, ['business:read', 'calls:read', 'leads:read', 'embed_tokens:create'])
  const embed = await gql(ctx, 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token } }', { i: { businessId: b, permissions: ['BUSINESS_READ', 'CALLS_READ', 'LEADS_READ'] } }, key.secret)
  const widget = embed.data.createEmbedToken.token as string
  assert.equal(await errors({ phone: '+14155550134' }, widget), ['FORBIDDEN'])
  assert.equal(await errors({ phone: '+14155550134' }, null), ['NOT_FOUND'])
  const search = await gql(ctx, 'query($b: ID!) { node(id: $b) { ... on Business { callerData(phone: "+14155550134") { calls { totalCount } } } } }', { b }, widget)
  assert.equal(errorCodes(search), ['FORBIDDEN'])
  const invalid = await gql(ctx, 'query($b: ID!) { node(id: $b) { ... on Business { callerData(phone: "nope") { calls { totalCount } } } } }', { b })
  assert.equal(errorCodes(invalid), ['BAD_USER_INPUT'])
  assert.is(await count(ctx, 'data_requests', {}), before, 'nothing was written')

  // Asked twice at once: one request, one job.
  const [first, second] = await Promise.all([gql(ctx, EXPORT, { i: { businessId: b, phone: '+14155550123' } }), gql(ctx, EXPORT, { i: { businessId: b, phone: '415-555-0123' } })])
  assert.is(first.data.requestCallerExport.dataRequest.id, second.data.requestCallerExport.dataRequest.id)
  assert.is(await count(ctx, 'data_requests', {}), before + 1)
  const listed = await gql(ctx, 'query($b: ID!) { node(id: $b) { ... on Business { dataRequests(first: 5) { totalCount nodes { id kind } } } } }', { b })
  assert.is(listed.data.node.dataRequests.nodes[0].id, first.data.requestCallerExport.dataRequest.id)
  const hidden = await gql(ctx, 'query($id: ID!) { node(id: $id) { id } }', { id: first.data.requestCallerExport.dataRequest.id }, await tokenFor(ctx.p, member.email))
  assert.is(hidden.data.node, null, 'a member without business:manage does not see requests')
})

erasure('an object store that fails leaves every record in place and the request open; the retry erases it all', async (ctx) => {
  const db = ctx.p.t.test.db
  const person: Person = { name: 'Ari Vance', phone: '+14155550145', email: 'ari@example.com', spoken: '415 555 0145' }
  const seeded = await seedCall(ctx.p, ctx.businessId, person)
  const before = await footprint(ctx, seeded)
  // Served by hand: the request is recorded without a queued job, so the app's worker leaves it alone.
  const noQueue = { enqueue: async () => null } as unknown as PrivacyApp['t']['app']['jobs']
  const { request } = await createDataRequest({ db, jobs: noQueue, config: ctx.p.t.app.config }, { subjectType: 'caller', kind: 'erasure', organizationId: ctx.organizationId, businessId: ctx.businessId, caller: { phone: person.phone, email: person.email }, requestedBy: null, actor: { type: 'system', id: null } })
  const broken = new S3Client({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 })
  const serve = (storage: { s3: S3Client; bucket: string }, retryCount: number) => {
    const handlers = callerRequestHandlers({ db, storage, eraseDelivered: connectorErasure(ctx.p.t.app) })
    return serveDataRequest({ db, storage, mailer: ctx.p.t.app.mailer, keys: ctx.p.t.app.config.connectors.keys, log: pino({ level: 'silent' }), handlers }, { id: 'manual', data: { requestId: request.id }, retryCount, retryLimit: 5, signal: new AbortController().signal })
  }
  try {
    const failure = await rejects(serve({ s3: broken, bucket: 'privacy-test' }, 0))
    assert.not.match(failure.message, /4155550145|ari@/)
  } finally {
    broken.destroy()
  }
  assert.equal(await footprint(ctx, seeded), before, 'nothing was deleted')
  const open = await rowOf(ctx, request.id)
  assert.equal([open.status, open.subject_ciphertext !== null], ['processing', true])
  await serve(ctx.p.storage, 1)
  assert.is((await rowOf(ctx, request.id)).status, 'completed')
  assert.equal(await footprint(ctx, seeded), { call: 0, transcript: 0, consent: 0, recording: 0, lead: 0, notes: 0, revisions: 0, contact: 0, deliveries: 0, attempts: 0, inStore: 0 })
  assert.equal(await placesHolding(db, [person.phone, '4155550145', person.email]), [])
})

erasure('an erasure reaches only its own business: the same caller at another business keeps their data', async (ctx) => {
  const db = ctx.p.t.test.db
  const person: Person = { name: 'Sam Reyes', phone: '+14155550156', email: 'sam@example.com', spoken: '415 555 0156' }
  const here = await seedCall(ctx.p, ctx.businessId, person)
  const elsewhere = await insertOrganization(db, { kind: 'direct', name: 'Other Clinic' })
  const there = await seedCall(ctx.p, elsewhere.businessIds[0] as string, person)
  const thereBefore = await footprint(ctx, there)
  const asked = await gql(ctx, ERASE, { i: { businessId: g('Business', ctx.businessId), phone: person.phone, confirm: true } })
  const requestId = localIdOf(asked.data.requestCallerErasure.dataRequest.id)
  await eventually(async () => (await rowOf(ctx, requestId)).status === 'completed', 30_000)
  assert.is((await footprint(ctx, here)).call, 0)
  assert.equal(await footprint(ctx, there), thereBefore)
})

erasure('the daily retention job also deletes export archives past their expiry', async (ctx) => {
  const db = ctx.p.t.test.db
  const exported = await gql(ctx, EXPORT, { i: { businessId: g('Business', ctx.businessId), email: 'nobody.yet@example.com' } })
  const requestId = localIdOf(exported.data.requestCallerExport.dataRequest.id)
  await eventually(async () => (await rowOf(ctx, requestId)).status === 'completed')
  const key = `exports/${requestId}.json`
  assert.equal(await objectKeys(ctx.p, key), [key])
  await db('data_requests').where({ id: requestId }).update({ result_expires_at: new Date(Date.now() - 1000) })
  await eventually(() => ctx.p.t.app.jobs.enqueue('retention-sweep', {}).then((id) => id ?? undefined))
  await eventually(async () => (await rowOf(ctx, requestId)).result_storage_key === null)
  assert.equal(await objectKeys(ctx.p, key), [])
})

erasure.run()
