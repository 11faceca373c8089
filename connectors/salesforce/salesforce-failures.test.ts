import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../../core/testing/rejects.ts'
import { createSalesforceConnector } from './salesforce.connector.ts'
import { startFakeSalesforce, type FakeSalesforce } from './testing/fake-salesforce.ts'
import { appFor, makeContext, makeEvent, makeLead, restCalls } from './testing/salesforce-fixtures.ts'

const failures = suite<{ fake: FakeSalesforce }>('salesforce connector: vendor failures become ConnectorErrors the dispatcher can act on')

failures.before.each(async (ctx) => {
  ctx.fake = await startFakeSalesforce()
})
failures.after.each(async (ctx) => {
  await ctx.fake.close()
})

const CREATE_LEAD = /^POST \/services\/data\/v62\.0\/sobjects\/Lead$/
const QUERY = /^GET \/services\/data\/v62\.0\/query$/
const connectorFor = (fake: FakeSalesforce, requestTimeoutMs?: number) => createSalesforceConnector({ oauthApp: appFor(fake), ...(requestTimeoutMs ? { requestTimeoutMs } : {}) })
const deliverOnce = (fake: FakeSalesforce, options: Parameters<typeof makeContext>[1] = {}, requestTimeoutMs?: number) =>
  rejects(connectorFor(fake, requestTimeoutMs).deliver(makeEvent('lead.captured'), makeContext(fake.grant(), options)))

failures('a validation error (REQUIRED_FIELD_MISSING) is rejected for good, with the code and fields in the message', async ({ fake }) => {
  fake.script.next(1, { status: 400, body: [{ message: 'Required fields are missing: [Industry__c]', errorCode: 'REQUIRED_FIELD_MISSING', fields: ['Industry__c'] }] }, CREATE_LEAD)
  const error = await deliverOnce(fake)
  assert.equal([error.code, error.retryable, error.statusCode], ['rejected', false, 400])
  assert.match(error.message, 'REQUIRED_FIELD_MISSING: Required fields are missing: [Industry__c] (fields: Industry__c)')
  assert.match(error.responseExcerpt, 'REQUIRED_FIELD_MISSING')
})

failures('the fake enforces Lead.LastName and Company like Salesforce does', async ({ fake }) => {
  const fieldMapping = { lastName: 'LastName', 'custom.company': 'Company' }
  await connectorFor(fake).deliver(makeEvent('lead.captured', { lead: makeLead({ name: null, phone: null, email: null }), call: null }), makeContext(fake.grant(), { fieldMapping }))
  assert.equal([fake.leads[0]!.LastName, fake.leads[0]!.Company], ['[not provided]', '[not provided]'])
})

failures('DUPLICATES_DETECTED naming the matched Lead updates that Lead instead (matchRule email)', async ({ fake }) => {
  fake.duplicateRule.enabled = true
  const existing = fake.seedLead({ LastName: 'Smith', Company: 'X', Email: 'mary@example.com' })
  const config = { dedupe: { kind: 'external_id', field: 'Answerline_Id__c' } }
  const receipt = await connectorFor(fake).deliver(makeEvent('lead.captured'), makeContext(fake.grant(), { config }))
  assert.equal([receipt.externalId, receipt.matchRule, fake.leads.length, fake.tasks.length], [existing.Id, 'email', 1, 1])
  // The matched Lead now carries the Answerline id, so the next delivery finds it by that.
  assert.is(fake.leads[0]!.Answerline_Id__c, makeLead().id)
})

failures('DUPLICATES_DETECTED without the matched records is rejected with the code in the message', async ({ fake }) => {
  fake.duplicateRule = { enabled: true, reportMatches: false }
  fake.seedLead({ LastName: 'Smith', Company: 'X', Email: 'mary@example.com' })
  const error = await deliverOnce(fake, { config: { dedupe: { kind: 'external_id', field: 'Answerline_Id__c' } } })
  assert.equal([error.code, error.retryable], ['rejected', false])
  assert.match(error.message, 'DUPLICATES_DETECTED')
})

failures('429 is rate_limited with its Retry-After, and jsforce does not retry the query on its own', async ({ fake }) => {
  fake.script.next(1, { status: 429, retryAfter: '7' }, QUERY)
  const error = await deliverOnce(fake)
  assert.equal([error.code, error.retryable, error.retryAfterMs, error.statusCode], ['rate_limited', true, 7000, 429])
  assert.equal(restCalls(fake), ['GET /query'])
})

failures('REQUEST_LIMIT_EXCEEDED (403) is rate_limited for a minute', async ({ fake }) => {
  fake.script.next(1, { status: 403 }, CREATE_LEAD)
  const error = await deliverOnce(fake)
  assert.equal([error.code, error.retryable, error.retryAfterMs, error.statusCode], ['rate_limited', true, 60_000, 403])
})

failures('503 is unavailable and retryable, with Retry-After when given, HTML or JSON', async ({ fake }) => {
  fake.script.next(1, { status: 503, retryAfter: '5' }, QUERY)
  const json = await deliverOnce(fake)
  assert.equal([json.code, json.retryable, json.retryAfterMs], ['unavailable', true, 5000])
  fake.script.next(1, { status: 503, body: '<html>Down for maintenance</html>', contentType: 'text/html' }, CREATE_LEAD)
  const html = await deliverOnce(fake)
  assert.equal([html.code, html.retryable, html.statusCode, html.retryAfterMs], ['unavailable', true, 503, 30_000])
})

failures('a 500 on a write and a dropped connection are unavailable and retryable', async ({ fake }) => {
  fake.script.next(1, { status: 500, body: [{ message: 'An unexpected error occurred', errorCode: 'UNKNOWN_EXCEPTION' }] }, CREATE_LEAD)
  const serverError = await deliverOnce(fake)
  assert.equal([serverError.code, serverError.retryable, serverError.statusCode], ['unavailable', true, 500])
  fake.script.next(1, { drop: true }, QUERY)
  const dropped = await deliverOnce(fake)
  assert.equal([dropped.code, dropped.retryable, dropped.statusCode], ['unavailable', true, null])
  assert.equal(restCalls(fake).filter((c) => c === 'GET /query').length, 3)
})

failures('a slow answer times out as unavailable', async ({ fake }) => {
  fake.script.next(1, { slowMs: 5_000 }, QUERY)
  const started = Date.now()
  const error = await deliverOnce(fake, {}, 200)
  assert.equal([error.code, error.retryable], ['unavailable', true])
  assert.ok(Date.now() - started < 2_000, 'gave up on the timeout')
})

failures('an aborted delivery (ctx.signal) stops at once as unavailable and sends nothing more', async ({ fake }) => {
  fake.script.next(1, { slowMs: 1_000 }, QUERY)
  const started = Date.now()
  const error = await deliverOnce(fake, { signal: AbortSignal.timeout(100) })
  assert.equal([error.code, error.retryable], ['unavailable', true])
  assert.ok(Date.now() - started < 800, 'did not wait for the answer')
  await new Promise((resolve) => setTimeout(resolve, 1_100))
  assert.equal(restCalls(fake), ['GET /query'])
})

failures('broken settings are rejected before anything is sent', async ({ fake }) => {
  const error = await deliverOnce(fake, { config: { dedupe: { kind: 'external_id', field: "Id' OR Name != '" } } })
  assert.equal([error.code, error.retryable], ['rejected', false])
  assert.equal(fake.requests, [])
})

failures.run()
