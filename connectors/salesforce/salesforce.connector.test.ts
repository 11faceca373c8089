import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createSalesforceConnector } from './salesforce.connector.ts'
import { startFakeSalesforce, type FakeSalesforce } from './testing/fake-salesforce.ts'
import { appFor, makeCall, makeContext, makeEvent, makeLead, restCalls } from './testing/salesforce-fixtures.ts'

const deliver = suite<{ fake: FakeSalesforce }>('salesforce connector: deliver lands each lead on one Lead with one call Task')

deliver.before.each(async (ctx) => {
  ctx.fake = await startFakeSalesforce()
})
deliver.after.each(async (ctx) => {
  await ctx.fake.close()
})

const connectorFor = (fake: FakeSalesforce) => createSalesforceConnector({ oauthApp: appFor(fake) })

deliver('lead.captured creates a Lead with mapped fields and logs the call as a completed Task', async ({ fake }) => {
  const receipt = await connectorFor(fake).deliver(makeEvent('lead.captured'), makeContext(fake.grant()))
  assert.is(fake.leads.length, 1)
  const lead = fake.leads[0]!
  assert.equal(receipt, { externalId: lead.Id, matchRule: 'created', statusCode: 201, responseExcerpt: receipt.responseExcerpt })
  assert.equal(
    { FirstName: lead.FirstName, LastName: lead.LastName, Email: lead.Email, Phone: lead.Phone, Description: lead.Description, Rating: lead.Rating, Company: lead.Company, LeadSource: lead.LeadSource, OwnerId: lead.OwnerId },
    { FirstName: 'Mary Ann', LastName: 'Smith', Email: 'mary@example.com', Phone: '+15551234567', Description: 'Water heater leaking', Rating: 'Hot', Company: '[not provided]', LeadSource: 'Phone Inquiry', OwnerId: undefined },
  )
  assert.is(fake.tasks.length, 1)
  const task = fake.tasks[0]!
  assert.equal(
    { WhoId: task.WhoId, Subject: task.Subject, TaskSubtype: task.TaskSubtype, Status: task.Status, CallType: task.CallType, CallDurationInSeconds: task.CallDurationInSeconds, CallObject: task.CallObject, ActivityDate: task.ActivityDate },
    { WhoId: lead.Id, Subject: 'Call: +15551234567', TaskSubtype: 'Call', Status: 'Completed', CallType: 'Inbound', CallDurationInSeconds: 185, CallObject: makeCall().id, ActivityDate: '2026-03-02' },
  )
  const description = task.Description as string
  for (const part of ['leaking water heater', makeCall().callUrl, `Recording: ${makeCall().recordingUrl}`, 'Transcript:\nAgent: Thanks for calling.']) assert.ok(description.includes(part), part)
})

deliver('lead.updated with the earlier Lead id updates that Lead, keeps what only a new Lead gets, and logs no second Task', async ({ fake }) => {
  const connector = connectorFor(fake)
  const credentials = fake.grant()
  const first = await connector.deliver(makeEvent('lead.captured'), makeContext(credentials))
  fake.leads[0]!.Company = 'Smith Holdings'
  const updated = makeLead({ email: 'mary.smith@example.com', temperature: 'cold', phone: null })
  const receipt = await connector.deliver(makeEvent('lead.updated', { lead: updated }), makeContext(credentials, { previousExternalId: first.externalId }))
  assert.equal([receipt.externalId, receipt.matchRule, receipt.statusCode], [first.externalId, 'external_id', 204])
  assert.is(fake.leads.length, 1)
  assert.equal([fake.leads[0]!.Email, fake.leads[0]!.Rating, fake.leads[0]!.Company, fake.leads[0]!.Phone], ['mary.smith@example.com', 'Cold', 'Smith Holdings', '+15551234567'])
  assert.is(fake.tasks.length, 1)
  const patch = fake.requests.find((r) => r.method === 'PATCH')!
  assert.not.ok('LeadSource' in (patch.body as object) || 'Company' in (patch.body as object) || 'Phone' in (patch.body as object))
})

deliver('an earlier Lead deleted since is found again by email', async ({ fake }) => {
  const existing = fake.seedLead({ LastName: 'Smith', Company: 'X', Email: 'mary@example.com' })
  const receipt = await connectorFor(fake).deliver(makeEvent('lead.updated'), makeContext(fake.grant(), { previousExternalId: '00Q999999999999AAA' }))
  assert.equal([receipt.externalId, receipt.matchRule], [existing.Id, 'email'])
})

deliver('finds an open Lead by email (any case) before phone, and by phone in the format Salesforce shows', async ({ fake }) => {
  const connector = connectorFor(fake)
  fake.seedLead({ LastName: 'Old', Company: 'X', Email: 'MARY@example.com', IsConverted: true })
  const byEmail = fake.seedLead({ LastName: 'Smith', Company: 'X', Email: 'Mary@Example.com' })
  const byPhone = fake.seedLead({ LastName: 'Jones', Company: 'X', Phone: '(555) 987-6543' })
  const first = await connector.deliver(makeEvent('lead.captured', { call: null }), makeContext(fake.grant()))
  assert.equal([first.externalId, first.matchRule], [byEmail.Id, 'email'])
  const second = await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ id: 'lead-2', email: null, phone: '+15559876543' }), call: null }), makeContext(fake.grant()))
  assert.equal([second.externalId, second.matchRule], [byPhone.Id, 'phone'])
  const third = await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ id: 'lead-3', email: 'new@example.com', phone: '+15550001111' }), call: null }), makeContext(fake.grant()))
  assert.is(third.matchRule, 'created')
  assert.is(fake.leads.length, 4)
})

deliver('quotes and backslashes in an email are escaped in SOQL, so the query neither breaks nor matches others', async ({ fake }) => {
  const connector = connectorFor(fake)
  fake.seedLead({ LastName: 'Other', Company: 'X', Email: 'someone@example.com' })
  const tricky = fake.seedLead({ LastName: "O'Brien", Company: 'X', Email: "o'brien\\x@example.com" })
  const found = await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ email: "o'brien\\x@example.com", phone: null }), call: null }), makeContext(fake.grant()))
  assert.equal([found.externalId, found.matchRule], [tricky.Id, 'email'])
  const injected = await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ id: 'lead-9', email: "x' OR Email != '", phone: null }), call: null }), makeContext(fake.grant()))
  assert.is(injected.matchRule, 'created')
})

deliver('external-id dedupe upserts on the field: created once, then found by it without touching Company or owner', async ({ fake }) => {
  const connector = connectorFor(fake)
  const config = { dedupe: { kind: 'external_id', field: 'Answerline_Id__c' }, ownerRule: { kind: 'fixed', ownerId: '005000000000001AAA' } }
  const first = await connector.deliver(makeEvent('lead.captured'), makeContext(fake.grant(), { config }))
  assert.equal([first.matchRule, first.statusCode, fake.leads[0]!.Answerline_Id__c, fake.leads[0]!.OwnerId], ['created', 201, makeLead().id, '005000000000001AAA'])
  assert.ok(restCalls(fake).includes(`PATCH /sobjects/Lead/Answerline_Id__c/${makeLead().id}`))
  fake.leads[0]!.Company = 'Smith Holdings'
  fake.leads[0]!.OwnerId = '005000000000002AAA'
  const second = await connector.deliver(makeEvent('lead.updated', { lead: makeLead({ name: 'Mary Smith' }) }), makeContext(fake.grant(), { config }))
  assert.equal([second.externalId, second.matchRule], [first.externalId, 'external_id'])
  assert.equal([fake.leads.length, fake.leads[0]!.FirstName, fake.leads[0]!.Company, fake.leads[0]!.OwnerId], [1, 'Mary', 'Smith Holdings', '005000000000002AAA'])
})

deliver('a delivery run twice (a crash before the receipt was stored) leaves one Lead and one Task', async ({ fake }) => {
  const connector = connectorFor(fake)
  const event = makeEvent('lead.captured', { lead: makeLead({ email: null }) })
  // The first run dies after the Lead was created, before the Task (the connection drops).
  fake.script.next(1, { drop: true }, /^POST \/services\/data\/v62\.0\/sobjects\/Task$/)
  const crashed = await connector.deliver(event, makeContext(fake.grant())).catch((error: Error) => error)
  assert.instance(crashed, Error)
  await connector.deliver(event, makeContext(fake.grant()))
  await connector.deliver(event, makeContext(fake.grant()))
  assert.equal([fake.leads.length, fake.tasks.length], [1, 1])
})

deliver('the field mapping writes custom fields, lists as multi-select values, and capitalizes Rating', async ({ fake }) => {
  const fieldMapping = { name: 'Full_Name__c', lastName: 'LastName', email: 'Email', requestedService: 'Service__c', temperature: 'Rating', 'custom.budget': 'Budget__c', 'custom.rooms': 'Rooms__c', 'custom.missing': 'Missing__c' }
  const lead = makeLead({ temperature: 'warm', customFields: { budget: 2500, rooms: ['kitchen', 'bath'] } })
  await connectorFor(fake).deliver(makeEvent('lead.captured', { lead, call: null }), makeContext(fake.grant(), { fieldMapping }))
  const created = fake.leads[0]!
  assert.equal(
    { Full_Name__c: created.Full_Name__c, Service__c: created.Service__c, Rating: created.Rating, Budget__c: created.Budget__c, Rooms__c: created.Rooms__c, FirstName: created.FirstName },
    { Full_Name__c: 'Mary Ann Smith', Service__c: 'Plumbing repair', Rating: 'Warm', Budget__c: 2500, Rooms__c: 'kitchen;bath', FirstName: undefined },
  )
  assert.not.ok('Missing__c' in created)
})

deliver('a caller without a name is filed under their phone number (LastName is required)', async ({ fake }) => {
  await connectorFor(fake).deliver(makeEvent('lead.captured', { lead: makeLead({ name: null, email: null }), call: null }), makeContext(fake.grant()))
  assert.equal([fake.leads[0]!.LastName, fake.leads[0]!.FirstName], ['+15551234567', undefined])
})

deliver('owner rules: fixed and round robin set OwnerId on create only; round robin picks the same owner on a retry', async ({ fake }) => {
  const connector = connectorFor(fake)
  const ownerIds = ['005000000000001AAA', '005000000000002AAA', '005000000000003AAA']
  const roundRobin = { ownerRule: { kind: 'round_robin', ownerIds } }
  const owners = new Set<unknown>()
  for (let i = 0; i < 12; i++) {
    const lead = makeLead({ id: `lead-${i}`, email: `p${i}@example.com`, phone: null })
    await connector.deliver(makeEvent('lead.captured', { lead, call: null }), makeContext(fake.grant(), { config: roundRobin }))
    const created = fake.leads.at(-1)!
    owners.add(created.OwnerId)
    fake.leads.pop()
    await connector.deliver(makeEvent('lead.captured', { lead, call: null }), makeContext(fake.grant(), { config: roundRobin }))
    assert.is(fake.leads.at(-1)!.OwnerId, created.OwnerId)
  }
  assert.ok(owners.size > 1, 'leads spread over the owners')
  await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ id: 'f', email: 'f@example.com' }), call: null }), makeContext(fake.grant(), { config: { ownerRule: { kind: 'fixed', ownerId: '00G000000000001AAA' } } }))
  assert.is(fake.leads.at(-1)!.OwnerId, '00G000000000001AAA')
  await connector.deliver(makeEvent('lead.updated', { lead: makeLead({ id: 'f', email: 'f@example.com' }), call: null }), makeContext(fake.grant(), { config: { ownerRule: { kind: 'fixed', ownerId: '00G000000000002AAA' } } }))
  assert.is(fake.leads.at(-1)!.OwnerId, '00G000000000001AAA')
})

deliver('call.completed without a lead logs the Task on the Lead with the caller\'s phone, or writes nothing', async ({ fake }) => {
  const connector = connectorFor(fake)
  const none = await connector.deliver(makeEvent('call.completed', { lead: null }), makeContext(fake.grant()))
  assert.equal([none.externalId, none.matchRule, fake.leads.length, fake.tasks.length], [null, null, 0, 0])
  const known = fake.seedLead({ LastName: 'Smith', Company: 'X', Phone: '(555) 123-4567' })
  const logged = await connector.deliver(makeEvent('call.completed', { lead: null }), makeContext(fake.grant()))
  assert.equal([logged.externalId, logged.matchRule, fake.tasks.length, fake.tasks[0]!.WhoId], [known.Id, 'phone', 1, known.Id])
})

deliver('test() reads Leads with the stored session', async ({ fake }) => {
  await connectorFor(fake).test(makeContext(fake.grant()))
  assert.equal(restCalls(fake), ['GET /query'])
  assert.is(fake.requests[0]!.params.q, 'SELECT Id FROM Lead LIMIT 1')
})

deliver.run()
