import { randomUUID } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { insertOrganization } from '../core/testing/accounts.ts'
import { openTestDb, truncate, type TestDb } from '../core/testing/test-db.ts'
import { openCredentials, sealCredentials } from './connector-store.ts'
import { eraseDeliveredRecords, type ConnectorErasure, type DeliveredRecord } from './erasure.ts'
import { CALLER, deliverCaller, leaksCallerData, newRequestId, startErasureWorld, type ErasureWorld } from './testing/erasure-fixture.ts'

type Ctx = { test: TestDb; businessId: string; world: ErasureWorld; caller: Awaited<ReturnType<typeof deliverCaller>> }
const erasure = suite<Ctx>('connectors: erasing a caller\'s delivered records in HubSpot, Salesforce and webhooks')

erasure.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.businessId = (await insertOrganization(ctx.test.db)).businessIds[0] as string
})
erasure.before.each(async (ctx) => {
  await truncate(ctx.test.db, ['connectors', 'leads', 'calls', 'rate_limit_buckets'])
  ctx.world = await startErasureWorld(ctx.test.db, ctx.businessId, { timeoutMs: 1_500 })
  ctx.caller = await deliverCaller(ctx.world)
})
erasure.after.each((ctx) => ctx.world.close())
erasure.after((ctx) => ctx.test.destroy())

const erase = (ctx: Ctx, deliveries: DeliveredRecord[] = ctx.caller.deliveries, requestId = newRequestId()) => eraseDeliveredRecords(ctx.world.deps, { businessId: ctx.businessId, requestId, deliveries })
const summary = (results: ConnectorErasure[]) => results.map((r) => `${r.kind}:${r.record}:${r.outcome}`).sort()
const ofKind = (results: ConnectorErasure[], kind: string) => results.filter((r) => r.kind === kind)

erasure('the fakes hold what deliveries wrote: a contact and its logged call, a Lead and its Task', (ctx) => {
  const { hubspot, salesforce } = ctx.world
  assert.equal([hubspot.contacts.size, hubspot.calls.size, salesforce.leads.length, salesforce.tasks.length], [1, 1, 1, 1])
  assert.is(ctx.caller.deliveries.length, 9)
})

erasure('contact purged and call removed in HubSpot, Lead and Task deleted in Salesforce, webhook told', async (ctx) => {
  const { hubspot, salesforce, receiver } = ctx.world
  const contactId = [...hubspot.contacts.keys()][0] as string
  const leadId = salesforce.leads[0]?.Id
  const requestId = newRequestId()
  const results = await erase(ctx, ctx.caller.deliveries, requestId)
  assert.equal(summary(results), ['hubspot:call:erased', 'hubspot:contact:erased', 'salesforce:lead:erased', 'salesforce:task:erased', 'webhook:notice:erased'])
  assert.equal([hubspot.contacts.size, hubspot.calls.size, salesforce.leads.length, salesforce.tasks.length], [0, 0, 0, 0])
  assert.equal(ofKind(results, 'hubspot').find((r) => r.record === 'contact')?.externalId, contactId)
  assert.equal(ofKind(results, 'salesforce').find((r) => r.record === 'lead')?.externalId, leadId)
  assert.ok(results.every((r) => r.connectorName?.startsWith('Our ')))
  assert.equal(hubspot.requests.filter((r) => r.path.endsWith('/gdpr-delete')).map((r) => r.body), [{ objectId: contactId }], 'one GDPR delete, though three deliveries landed on the contact')
  assert.ok(salesforce.recycleBin.has(leadId as string))
  assert.is(receiver.received.length, 1)
  assert.not.ok(leaksCallerData(JSON.stringify(results)))
})

erasure('the webhook gets a signed caller.erased carrying ids only', async (ctx) => {
  const requestId = newRequestId()
  await erase(ctx, ctx.caller.deliveries, requestId)
  const [hook] = ctx.world.receiver.received
  assert.ok(hook)
  const verified = new Webhook(ctx.world.webhookSecret).verify(hook.body, hook.headers as Record<string, string>) as Record<string, any>
  assert.is(verified.type, 'caller.erased')
  assert.equal(verified.data, { business: { id: ctx.businessId }, dataRequestId: requestId, callIds: [ctx.caller.callId], leadIds: [ctx.caller.leadId] })
  assert.is(hook.headers['webhook-id'], requestId, 'a repeated erasure is one event to the receiver')
  assert.not.ok(leaksCallerData(hook.body, JSON.stringify(hook.headers)))
  assert.throws(() => new Webhook(ctx.world.webhookSecret).verify(hook.body.replace(requestId, newRequestId()), hook.headers as Record<string, string>))
})

erasure('records already gone count as erased, and the webhook hears the same event again', async (ctx) => {
  const requestId = newRequestId()
  await erase(ctx, ctx.caller.deliveries, requestId)
  const again = await erase(ctx, ctx.caller.deliveries, requestId)
  assert.equal(summary(again), ['hubspot:contact:erased', 'salesforce:lead:erased', 'webhook:notice:erased'])
  assert.equal(again.filter((r) => r.kind !== 'webhook').map((r) => r.note).sort(), ['already deleted in HubSpot', 'already deleted in Salesforce'])
  assert.equal(ctx.world.receiver.received.map((r) => r.headers['webhook-id']), [requestId, requestId])
})

erasure('429 everywhere: failed and retryable, nothing thrown, nothing deleted; the caller\'s retry erases', async (ctx) => {
  const { hubspot, salesforce, receiver } = ctx.world
  hubspot.script.push({ match: 'gdpr-delete', status: 429 })
  salesforce.script.next(1, { status: 429 }, /^DELETE .*\/sobjects\/Lead\//)
  receiver.script.push({ status: 429, headers: { 'retry-after': '3' } })
  const first = await erase(ctx)
  const failed = first.filter((r) => r.outcome === 'failed')
  assert.equal(failed.map((r) => `${r.kind}:${r.record}`).sort(), ['hubspot:contact', 'salesforce:lead', 'webhook:notice'])
  assert.ok(failed.every((r) => r.retryable === true && / is limiting requests \(HTTP 429\); try again later$/.test(r.error ?? '')), JSON.stringify(failed))
  assert.equal([hubspot.contacts.size, salesforce.leads.length], [1, 1])
  const retry = await erase(ctx)
  assert.ok(retry.every((r) => r.outcome === 'erased'), JSON.stringify(retry))
  assert.equal([hubspot.contacts.size, hubspot.calls.size, salesforce.leads.length, salesforce.tasks.length], [0, 0, 0, 0])
})

erasure('500 and timeouts: failed with a short reason, other connectors unaffected', async (ctx) => {
  const { hubspot, salesforce, receiver } = ctx.world
  hubspot.script.push({ match: 'calls/search', status: 500, body: { status: 'error', message: `cannot read ${CALLER.email}`, category: 'INTERNAL' } })
  salesforce.script.next(1, { slowMs: 3_000 }, /^GET .*\/query$/)
  receiver.script.push({ hang: true })
  const started = Date.now()
  const results = await erase(ctx)
  assert.ok(Date.now() - started < 2_500, `took ${Date.now() - started} ms`)
  assert.equal(results.map((r) => [r.kind, r.outcome, r.error]).sort(), [
    ['hubspot', 'failed', 'HubSpot failed (HTTP 500); try again later'],
    ['salesforce', 'failed', 'Salesforce did not answer in time; try again later'],
    ['webhook', 'failed', 'The webhook endpoint did not answer in time; try again later'],
  ])
  assert.not.ok(leaksCallerData(JSON.stringify(results)), 'a vendor message echoing the record stays out')
  assert.equal([hubspot.contacts.size, hubspot.calls.size], [1, 1], 'no contact purged when its logged calls could not be found')
})

erasure('disabled or deleted connectors, or another business\'s, are not supported and not contacted', async (ctx) => {
  const { db } = ctx.test
  const { hubspot, salesforce, connectorIds } = ctx.world
  await db('connectors').where({ id: connectorIds.hubspot }).update({ status: 'disabled', disabled_reason: 'turned off' })
  const deletedSalesforce = ctx.caller.deliveries.filter((d) => d.connectorId === connectorIds.salesforce)
  const other = (await insertOrganization(db)).businessIds[0] as string
  const before = [hubspot.requests.length, salesforce.requests.length]
  const results = await eraseDeliveredRecords(ctx.world.deps, { businessId: other, requestId: newRequestId(), deliveries: deletedSalesforce })
  assert.equal(results.map((r) => [r.outcome, r.connectorName, r.error]), [['not_supported', null, 'the connector has been deleted; remove the records in that system by hand']])
  const disabled = await erase(ctx, ctx.caller.deliveries.filter((d) => d.connectorId === connectorIds.hubspot))
  assert.equal(disabled.map((r) => [r.kind, r.record, r.outcome]), [['hubspot', 'contact', 'not_supported']])
  assert.match(disabled[0]?.error ?? '', 'disabled')
  assert.equal([hubspot.requests.length, salesforce.requests.length], before)
  assert.equal([hubspot.contacts.size, salesforce.leads.length], [1, 1])
})

erasure('an expiring HubSpot OAuth token is refreshed and stored sealed, as deliveries do', async (ctx) => {
  const { db } = ctx.test
  const { hubspot, connectorIds, deps } = ctx.world
  const issued = hubspot.tokens.issueOAuth()
  const stale = { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: new Date(Date.now() + 60_000).toISOString() }
  await db('connectors').where({ id: connectorIds.hubspot }).update(sealCredentials(deps.keys, connectorIds.hubspot, stale))
  const results = await erase(ctx, ctx.caller.deliveries.filter((d) => d.connectorId === connectorIds.hubspot))
  assert.ok(results.every((r) => r.outcome === 'erased'), JSON.stringify(results))
  assert.is(hubspot.tokens.grants.refresh_token, 1)
  const stored = openCredentials(deps.keys, await db('connectors').where({ id: connectorIds.hubspot }).first())
  assert.is.not(stored?.accessToken, stale.accessToken)
  assert.is(stored?.refreshToken, stale.refreshToken)
})

erasure('only calls Answerline logged go, and a delivery that wrote nothing is answered too', async (ctx) => {
  const { hubspot, connectorIds } = ctx.world
  const contactId = [...hubspot.contacts.keys()][0] as string
  hubspot.crm.createCall({ properties: { hs_timestamp: new Date().toISOString(), hs_call_title: 'Follow-up by a salesperson' }, associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 194 }] }] })
  const wroteNothing: DeliveredRecord = { deliveryId: randomUUID(), connectorId: connectorIds.hubspot, externalId: null, subjectType: 'call', subjectId: randomUUID() }
  const results = await erase(ctx, [...ctx.caller.deliveries.filter((d) => d.connectorId === connectorIds.hubspot), wroteNothing])
  assert.equal(results.map((r) => [r.record, r.externalId === null, r.outcome, r.note ?? null]), [
    ['call', false, 'erased', null],
    ['contact', false, 'erased', null],
    ['contact', true, 'erased', 'no record had been written in HubSpot'],
  ])
  assert.equal([...hubspot.calls.values()].map((c) => [c.properties.hs_call_title, c.associations.length]), [['Follow-up by a salesperson', 0]])
})

erasure('no deliveries, nothing to do', async (ctx) => {
  assert.equal(await erase(ctx, []), [])
})

erasure.run()
