import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Connector } from '../connector.ts'
import { createHubSpotConnector } from './hubspot.connector.ts'
import { startFakeHubSpot, type FakeHubSpot } from './testing/fake-hubspot.ts'
import { makeCall, makeContext, makeEvent, makeLead } from './testing/fixtures.ts'

const deliver = suite<{ fake: FakeHubSpot; token: string }>('hubspot connector: contacts and call engagements')
let connector: Connector

deliver.before.each(async (ctx) => {
  ctx.fake = await startFakeHubSpot()
  connector = createHubSpotConnector({ oauthApp: null, apiBaseUrl: ctx.fake.baseUrl })
  ctx.token = ctx.fake.tokens.issuePrivate()
})
deliver.after.each(async (ctx) => {
  await ctx.fake.close()
})

const contextFor = (t: { fake: FakeHubSpot; token: string }, options: Partial<Parameters<typeof makeContext>[0]> = {}) => makeContext({ baseUrl: t.fake.baseUrl, credentials: { accessToken: t.token }, ...options })

deliver('creates a contact, then logs the call on its timeline', async (t) => {
  const receipt = await connector.deliver(makeEvent('lead.captured'), contextFor(t))
  assert.equal(receipt.matchRule, 'created')
  assert.equal(receipt.statusCode, 201)
  const [contact] = [...t.fake.contacts.values()]
  assert.equal(receipt.externalId, contact?.id)
  assert.equal(contact?.properties, { firstname: 'Mary Ann', lastname: 'Smith', email: 'mary.smith@example.com', phone: '+15551230001' })
  assert.is(t.fake.calls.size, 1)
  const [call] = [...t.fake.calls.values()]
  assert.equal(call?.associations, [{ toId: contact?.id as string, category: 'HUBSPOT_DEFINED', typeId: 194 }])
  const p = call?.properties ?? {}
  assert.is(p.hs_timestamp, '2026-03-02T15:04:05.000Z')
  assert.is(p.hs_call_duration, '185000')
  assert.is(p.hs_call_direction, 'INBOUND')
  assert.is(p.hs_call_status, 'COMPLETED')
  assert.is(p.hs_call_from_number, '+15551230001')
  assert.is(p.hs_call_to_number, '+15559870000')
  assert.is(p.hs_call_external_id, 'answerline:call-0001')
  assert.match(p.hs_call_title ?? '', 'Acme Plumbing')
  assert.match(p.hs_call_body ?? '', 'leaking water heater looked at')
  assert.match(p.hs_call_body ?? '', 'href="https://app.answerline.test/calls/call-0001"')
  assert.match(p.hs_call_body ?? '', 'Caller: My water heater is leaking.')
  assert.not.ok('hs_call_recording_url' in p, 'no recording URL without a recording')
  assert.ok(t.fake.requests.every((r) => r.authorization === `Bearer ${t.token}`))
})

deliver('sets the recording URL only when the call has one', async (t) => {
  await connector.deliver(makeEvent('lead.captured', { call: makeCall({ recordingUrl: 'https://app.answerline.test/calls/call-0001/recording' }) }), contextFor(t))
  const [call] = [...t.fake.calls.values()]
  assert.is(call?.properties.hs_call_recording_url, 'https://app.answerline.test/calls/call-0001/recording')
  assert.match(call?.properties.hs_call_body ?? '', '>Recording</a>')
})

deliver('lead.updated with the earlier contact id updates that contact and logs no second call', async (t) => {
  const first = await connector.deliver(makeEvent('lead.captured'), contextFor(t))
  const before = t.fake.requests.length
  const receipt = await connector.deliver(makeEvent('lead.updated', { lead: makeLead({ name: 'Mary Jones', email: 'mary.jones@example.com' }) }), contextFor(t, { previousExternalId: first.externalId }))
  assert.equal({ externalId: receipt.externalId, matchRule: receipt.matchRule, statusCode: receipt.statusCode }, { externalId: first.externalId, matchRule: 'external_id', statusCode: 200 })
  assert.is(t.fake.contacts.size, 1)
  assert.is(t.fake.calls.size, 1)
  assert.equal(t.fake.contacts.get(first.externalId as string)?.properties.lastname, 'Jones')
  assert.equal(t.fake.requests.slice(before).map((r) => `${r.method} ${r.path}`), [`PATCH /crm/v3/objects/contacts/${first.externalId}`])
})

deliver('a contact deleted in HubSpot since the last delivery is found or created again', async (t) => {
  const receipt = await connector.deliver(makeEvent('lead.updated'), contextFor(t, { previousExternalId: '999999' }))
  assert.is(receipt.matchRule, 'created')
  assert.is(t.fake.contacts.size, 1)
})

deliver('matches an existing contact by email, then by phone', async (t) => {
  const byEmail = t.fake.crm.seedContact({ email: 'mary.smith@example.com', firstname: 'M' })
  const byPhone = t.fake.crm.seedContact({ mobilephone: '+15551230002' })
  const first = await connector.deliver(makeEvent('lead.captured'), contextFor(t))
  assert.equal([first.externalId, first.matchRule], [byEmail.id, 'email'])
  assert.is(byEmail.properties.firstname, 'Mary Ann')
  const second = await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ id: 'lead-2', email: null, phone: '+15551230002' }), call: makeCall({ id: 'call-2' }) }), contextFor(t))
  assert.equal([second.externalId, second.matchRule], [byPhone.id, 'phone'])
  assert.is(t.fake.contacts.size, 2)
  assert.equal([...t.fake.calls.values()].map((c) => c.associations[0]?.toId), [byEmail.id, byPhone.id])
})

deliver('a 409 on create (search index behind) updates the contact HubSpot names', async (t) => {
  const existing = t.fake.crm.seedContact({ email: 'mary.smith@example.com' })
  t.fake.script.push({ match: 'contacts/search', status: 200, body: { total: 0, results: [] } })
  const receipt = await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ phone: null }) }), contextFor(t))
  assert.equal([receipt.externalId, receipt.matchRule], [existing.id, 'email'])
  assert.is(t.fake.contacts.size, 1)
  assert.is(existing.properties.lastname, 'Smith')
  const contactRequests = t.fake.requests.filter((r) => r.path.startsWith('/crm/v3/objects/contacts')).map((r) => `${r.method} ${r.path}`)
  assert.equal(contactRequests, ['POST /crm/v3/objects/contacts/search', 'POST /crm/v3/objects/contacts', `PATCH /crm/v3/objects/contacts/${existing.id}`])
})

deliver('delivering the same lead.captured twice leaves one contact and one call', async (t) => {
  const event = makeEvent('lead.captured')
  const first = await connector.deliver(event, contextFor(t))
  // The dispatcher crashed before storing the receipt: no previousExternalId on the second run.
  const second = await connector.deliver(event, contextFor(t))
  assert.is(second.externalId, first.externalId)
  assert.is(t.fake.contacts.size, 1)
  assert.is(t.fake.calls.size, 1)
  assert.match(second.responseExcerpt ?? '', 'already logged')
  // The call.completed event of the same call does not log it again either.
  await connector.deliver(makeEvent('call.completed'), contextFor(t))
  assert.is(t.fake.calls.size, 1)
})

deliver('maps the configured fields, custom fields included', async (t) => {
  for (const name of ['answerline_reason', 'service_needed', 'urgency', 'gate_code', 'pets', 'vip']) t.fake.crm.contactProperties.add(name)
  const fieldMapping = { name: 'company', email: 'email', reason: 'answerline_reason', requestedService: 'service_needed', urgency: 'urgency', 'custom.gate_code': 'gate_code', 'custom.pets': 'pets', 'custom.vip': 'vip', 'custom.missing': 'jobtitle' }
  const lead = makeLead({ customFields: { gate_code: 4321, pets: ['dog', 'cat'], vip: true } })
  await connector.deliver(makeEvent('lead.captured', { lead }), contextFor(t, { fieldMapping }))
  const [contact] = [...t.fake.contacts.values()]
  assert.equal(contact?.properties, { company: 'Mary Ann Smith', email: 'mary.smith@example.com', answerline_reason: 'Leaking water heater', service_needed: 'water_heater_repair', urgency: 'this_week', gate_code: '4321', pets: 'dog;cat', vip: 'true' })
})

deliver('owner rules: fixed assigns new and unowned contacts, never takes an owned one', async (t) => {
  const config = { ownerRule: { kind: 'fixed', ownerId: '7001' } }
  const owned = t.fake.crm.seedContact({ email: 'owned@example.com', hubspot_owner_id: '5000' })
  const unowned = t.fake.crm.seedContact({ email: 'unowned@example.com' })
  await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ email: 'owned@example.com' }), call: null }), contextFor(t, { config }))
  await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ email: 'unowned@example.com' }), call: null }), contextFor(t, { config }))
  const created = await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ email: 'new@example.com', phone: null }), call: null }), contextFor(t, { config }))
  assert.is(owned.properties.hubspot_owner_id, '5000')
  assert.is(unowned.properties.hubspot_owner_id, '7001')
  assert.is(t.fake.contacts.get(created.externalId as string)?.properties.hubspot_owner_id, '7001')
  await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ email: 'plain@example.com', phone: null }), call: null }), contextFor(t))
  assert.not.ok('hubspot_owner_id' in ([...t.fake.contacts.values()].at(-1)?.properties ?? {}), "the 'existing' rule sets no owner")
})

deliver('owner rules: round robin is deterministic per lead and spreads leads', async (t) => {
  const config = { ownerRule: { kind: 'round_robin', ownerIds: ['1', '2', '3'] } }
  const ownerOf = async (leadId: string) => {
    t.fake.contacts.clear()
    const receipt = await connector.deliver(makeEvent('lead.captured', { lead: makeLead({ id: leadId }), call: null }), contextFor(t, { config }))
    return t.fake.contacts.get(receipt.externalId as string)?.properties.hubspot_owner_id
  }
  const first = await ownerOf('lead-a')
  assert.is(await ownerOf('lead-a'), first, 'a retried delivery picks the same owner')
  const owners = new Set<string | undefined>()
  for (let i = 0; i < 12; i++) owners.add(await ownerOf(`lead-${i}`))
  assert.ok(owners.size > 1 && [...owners].every((o) => ['1', '2', '3'].includes(o as string)), `owners used: ${[...owners].join(',')}`)
})

deliver('call.completed without a lead: on the earlier contact, else from an E.164 caller, else nothing', async (t) => {
  const known = t.fake.crm.seedContact({ email: 'known@example.com' })
  const onKnown = await connector.deliver(makeEvent('call.completed', { lead: null }), contextFor(t, { previousExternalId: known.id }))
  assert.equal([onKnown.externalId, onKnown.matchRule], [known.id, 'external_id'])
  assert.equal(known.properties, { email: 'known@example.com' })
  const fromCaller = await connector.deliver(makeEvent('call.completed', { lead: null, call: makeCall({ id: 'call-2', from: '+15551239999' }) }), contextFor(t))
  assert.is(fromCaller.matchRule, 'created')
  assert.equal(t.fake.contacts.get(fromCaller.externalId as string)?.properties, { phone: '+15551239999' })
  const before = t.fake.requests.length
  const anonymous = await connector.deliver(makeEvent('call.completed', { lead: null, call: makeCall({ id: 'call-3', from: 'anonymous' }) }), contextFor(t))
  assert.equal([anonymous.externalId, anonymous.matchRule], [null, null])
  assert.is(t.fake.requests.length, before)
  assert.is(t.fake.calls.size, 2)
})

deliver('test() makes one cheap authenticated read', async (t) => {
  await connector.test(contextFor(t))
  assert.equal(t.fake.requests.map((r) => `${r.method} ${r.path}?limit=${r.query.limit}`), ['GET /crm/v3/objects/contacts?limit=1'])
})

deliver('configSchema fills defaults and refuses a bad owner rule', () => {
  assert.equal(connector.configSchema.parse({}), { ownerRule: { kind: 'existing' } })
  assert.not.ok(connector.configSchema.safeParse({ ownerRule: { kind: 'round_robin', ownerIds: [] } }).success)
  assert.equal(connector.configSchema.parse({ apiBaseUrl: 'http://169.254.169.254/' }), { ownerRule: { kind: 'existing' } }, 'a business cannot choose where requests go')
})

deliver.run()
