import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { ErasureRequest } from '../connector.ts'
import { createSalesforceConnector } from './salesforce.connector.ts'
import { startFakeSalesforce, type FakeSalesforce } from './testing/fake-salesforce.ts'
import { appFor, makeCall, makeContext, makeEvent, restCalls } from './testing/salesforce-fixtures.ts'

const erase = suite<{ fake: FakeSalesforce }>('salesforce connector: erase deletes the call Tasks, then the Leads')

erase.before.each(async (ctx) => {
  ctx.fake = await startFakeSalesforce()
})
erase.after.each(async (ctx) => {
  await ctx.fake.close()
})

const connectorFor = (fake: FakeSalesforce) => createSalesforceConnector({ oauthApp: appFor(fake) })
const request = (overrides: Partial<ErasureRequest>): ErasureRequest => ({ requestId: 'req-1', externalIds: [], callIds: [makeCall().id], leadIds: [], ...overrides })

erase('a converted Lead: its Task, moved to the Contact, is found by call id; the note names the Contact', async ({ fake }) => {
  const connector = connectorFor(fake)
  const credentials = fake.grant()
  const receipt = await connector.deliver(makeEvent('lead.captured'), makeContext(credentials))
  const lead = fake.leads[0]!
  Object.assign(lead, { IsConverted: true, ConvertedContactId: '003000000000042AAA' })
  fake.tasks[0]!.WhoId = '003000000000042AAA'
  const untouched = fake.seedLead({ LastName: 'Other', Company: 'X' })
  const results = await connector.erase!(request({ externalIds: [receipt.externalId as string] }), makeContext(credentials))
  assert.equal(results.map((r) => [r.record, r.error]), [['task', null], ['lead', null]])
  assert.match(results[1]?.note ?? '', 'converted; the Contact it became (003000000000042AAA) stays in Salesforce')
  assert.equal([fake.leads.map((l) => l.Id), fake.tasks.length], [[untouched.Id], 0])
})

erase('a malformed record id is refused without a request; the others are still deleted', async ({ fake }) => {
  const connector = connectorFor(fake)
  const credentials = fake.grant()
  const lead = fake.seedLead({ LastName: 'Smith', Company: 'X' })
  const results = await connector.erase!(request({ callIds: [], externalIds: ["x' OR Id != '", lead.Id] }), makeContext(credentials))
  assert.equal(results.map((r) => [r.record, r.externalId, r.error?.code ?? null]), [
    ['lead', lead.Id, null],
    ['lead', "x' OR Id != '", 'rejected'],
  ])
  assert.is(fake.leads.length, 0)
  assert.equal(restCalls(fake).filter((c) => c.startsWith('DELETE')), [`DELETE /sobjects/Lead/${lead.Id}`])
})

erase('a Lead deleted before answers ENTITY_IS_DELETED: already erased, like one the query no longer finds', async ({ fake }) => {
  const connector = connectorFor(fake)
  const credentials = fake.grant()
  const lead = fake.seedLead({ LastName: 'Smith', Company: 'X' })
  fake.script.next(1, { status: 200, body: { totalSize: 1, done: true, records: [{ attributes: { type: 'Lead' }, Id: lead.Id, IsConverted: false, ConvertedContactId: null }] } }, /\/query$/)
  fake.leads.splice(0)
  fake.recycleBin.add(lead.Id)
  const results = await connector.erase!(request({ callIds: [], externalIds: [lead.Id] }), makeContext(credentials))
  assert.equal(results.map((r) => [r.error, r.note]), [[null, 'already deleted in Salesforce']])
})

erase('a rate limit while deleting Tasks leaves the Lead untried, for the retry', async ({ fake }) => {
  const connector = connectorFor(fake)
  const credentials = fake.grant()
  const receipt = await connector.deliver(makeEvent('lead.captured'), makeContext(credentials))
  fake.script.next(1, { status: 403 }, /^DELETE .*\/sobjects\/Task\//)
  const results = await connector.erase!(request({ externalIds: [receipt.externalId as string] }), makeContext(credentials))
  assert.equal(results.map((r) => [r.record, r.error?.code]), [['task', 'rate_limited'], ['lead', 'rate_limited']])
  assert.equal([fake.leads.length, fake.tasks.length], [1, 1])
  assert.equal(restCalls(fake).filter((c) => c.startsWith('DELETE')).length, 1)
})

erase('an expired session is refreshed once and the new tokens stored', async ({ fake }) => {
  const connector = connectorFor(fake)
  const credentials = fake.grant()
  const lead = fake.seedLead({ LastName: 'Smith', Company: 'X' })
  fake.expireSessions()
  const ctx = makeContext(credentials)
  const results = await connector.erase!(request({ externalIds: [lead.Id] }), ctx)
  assert.equal(results.map((r) => r.error), [null])
  assert.is(ctx.saved.length, 1)
  assert.is.not(ctx.saved[0]?.accessToken, credentials.accessToken)
})

erase.run()
