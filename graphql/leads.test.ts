import { createClient } from 'graphql-ws'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../app.ts'
import { insertApiKey, insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId as g } from './relay/global-id.ts'

type Ctx = { t: TestApp; token: string; businessId: string; orgId: string; ownerId: string; memberId: string; leads: Record<string, string> }
const leads = suite<Ctx>('graphql: the lead inbox (filters, pagination, call and transcript, edits, notes, live changes)')

let callCount = 0
/** A finished call with a two-line transcript and its lead, created `daysAgo` days ago. */
async function insertLead(ctx: Ctx, lead: Record<string, unknown>, daysAgo = 0): Promise<string> {
  const db = ctx.t.test.db
  const startedAt = new Date(Date.now() - daysAgo * 86_400_000)
  const [call] = await db('calls')
    .insert({ business_id: ctx.businessId, twilio_call_sid: `CA${(++callCount).toString(16).padStart(32, '0')}`, direction: 'inbound', from_number: '+14155550100', to_number: '+14155550999', status: 'completed', started_at: startedAt, ended_at: startedAt, created_at: startedAt })
    .returning('id')
  await db('transcript_segments').insert([
    { call_id: call.id, business_id: ctx.businessId, seq: 0, speaker: 'agent', text: 'Thanks for calling, how can I help?', started_ms: 0 },
    { call_id: call.id, business_id: ctx.businessId, seq: 1, speaker: 'caller', text: `Hi, it is ${lead.name ?? 'someone'}.`, started_ms: 2000 },
  ])
  const [row] = await db('leads').insert({ business_id: ctx.businessId, call_id: call.id, extraction_method: 'fallback', fallback_reason: 'unavailable', created_at: startedAt, ...lead }).returning('id')
  return row.id
}

const gql = (ctx: Ctx, query: string, variables: Record<string, unknown> = {}, token: string | null = ctx.token) => graphqlRequest(ctx.t.app, query, variables, token ? { token } : {})

leads.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  const db = ctx.t.test.db
  const owner = await insertUser(db, { email: 'owner@harbor.example' })
  const org = await insertOrganization(db, { kind: 'direct', name: 'Harbor Plumbing' })
  await insertMembership(db, owner.id, org.id, 'owner')
  const member = await insertUser(db, { email: 'tech@harbor.example' })
  await insertMembership(db, member.id, org.id, 'member')
  await db('agent_configs').insert({ business_id: org.businessIds[0], version: 1, greeting: 'Hi', disclosure_text: 'AI', consent_prompt: 'Record?', capture_fields: JSON.stringify([{ key: 'bathrooms', label: 'Bathrooms', type: 'number', required: false }]) })
  Object.assign(ctx, { orgId: org.id, businessId: org.businessIds[0], ownerId: owner.id, memberId: member.id })
  const login = await graphqlRequest(ctx.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email: owner.email, password: TEST_PASSWORD } })
  ctx.token = login.data.logIn.tokens.accessToken
  ctx.leads = {
    dana: await insertLead(ctx, { name: 'Dana Whitfield', email: 'dana@example.com', phone: '+14155550134', reason: 'Kitchen sink leaking', status: 'new', temperature: 'hot' }, 1),
    omar: await insertLead(ctx, { name: 'Omar Haddad', phone: '+14155550135', reason: 'Water heater quote', status: 'contacted', temperature: 'warm' }, 3),
    lee: await insertLead(ctx, { name: 'Lee Park', reason: 'Bathroom remodel', status: 'won', temperature: 'cold', needs_review: true, review_fields: ['phone'] }, 10),
    kim: await insertLead(ctx, { name: 'Kim Nguyen', email: 'kim@example.org', reason: 'Drain cleaning', status: 'new', temperature: 'warm' }, 20),
  }
})
leads.after((ctx) => ctx.t.close())

const LIST = `query($b: ID!, $f: LeadFilter, $first: Int, $after: String) {
  node(id: $b) { ... on Business { leads(filter: $f, first: $first, after: $after) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } } }
}`
const names = async (ctx: Ctx, filter: Record<string, unknown>) => (await gql(ctx, LIST, { b: g('Business', ctx.businessId), f: filter })).data.node.leads.nodes.map((n: { name: string }) => n.name)

leads('filters: status, temperature, review, dates and text search, newest first', async (ctx) => {
  assert.equal(await names(ctx, {}), ['Dana Whitfield', 'Omar Haddad', 'Lee Park', 'Kim Nguyen'])
  assert.equal(await names(ctx, { status: ['NEW'] }), ['Dana Whitfield', 'Kim Nguyen'])
  assert.equal(await names(ctx, { temperature: ['WARM', 'COLD'] }), ['Omar Haddad', 'Lee Park', 'Kim Nguyen'])
  assert.equal(await names(ctx, { needsReview: true }), ['Lee Park'])
  assert.equal(await names(ctx, { createdAfter: new Date(Date.now() - 5 * 86_400_000).toISOString() }), ['Dana Whitfield', 'Omar Haddad'])
  assert.equal(await names(ctx, { createdBefore: new Date(Date.now() - 5 * 86_400_000).toISOString(), status: ['WON'] }), ['Lee Park'])
  assert.equal(await names(ctx, { search: 'whit' }), ['Dana Whitfield'])
  assert.equal(await names(ctx, { search: 'water heat' }), ['Omar Haddad'])
  assert.equal(await names(ctx, { search: 'kim@example' }), ['Kim Nguyen'])
  assert.equal(await names(ctx, { search: '+1415555013' }), ['Dana Whitfield', 'Omar Haddad'])
  assert.equal(await names(ctx, { search: "'); drop table leads; --" }), [])
  const bad = await gql(ctx, LIST, { b: g('Business', ctx.businessId), f: { createdAfter: 'yesterday' } })
  assert.equal(errorCodes(bad), ['BAD_USER_INPUT'])
})

leads('cursor pagination walks every lead once', async (ctx) => {
  const seen: string[] = []
  let after: string | null = null
  for (let page = 0; page < 3; page++) {
    const result = await gql(ctx, LIST, { b: g('Business', ctx.businessId), first: 3, after })
    const connection = result.data.node.leads
    seen.push(...connection.nodes.map((n: { name: string }) => n.name))
    assert.is(connection.totalCount, 4)
    if (!connection.pageInfo.hasNextPage) break
    after = connection.pageInfo.endCursor
  }
  assert.equal(seen, ['Dana Whitfield', 'Omar Haddad', 'Lee Park', 'Kim Nguyen'])
})

leads('a lead with its call and transcript, and lists of leads without a query per row', async (ctx) => {
  const one = await gql(ctx, 'query($id: ID!) { node(id: $id) { ... on Lead { name status temperature call { fromNumber status transcript { nodes { seq speaker text } } lead { name } } } } }', { id: g('Lead', ctx.leads.dana as string) })
  assert.equal(one.data.node, {
    name: 'Dana Whitfield',
    status: 'NEW',
    temperature: 'HOT',
    call: { fromNumber: '+14155550100', status: 'COMPLETED', transcript: { nodes: [{ seq: 0, speaker: 'AGENT', text: 'Thanks for calling, how can I help?' }, { seq: 1, speaker: 'CALLER', text: 'Hi, it is Dana Whitfield.' }] }, lead: { name: 'Dana Whitfield' } },
  })
  let queries = 0
  const count = () => queries++
  ctx.t.app.db.on('query', count)
  try {
    const list = await gql(ctx, `query($b: ID!) { node(id: $b) { ... on Business { leads(first: 4) { nodes { name business { name } call { status lead { name } } contact { name } owner { email } } } } } }`, { b: g('Business', ctx.businessId) })
    assert.is(list.data.node.leads.nodes.length, 4)
  } finally {
    ctx.t.app.db.removeListener('query', count)
  }
  // Authentication, the business, the page, then one query per batched field: not one per lead.
  assert.ok(queries <= 12, `${queries} queries for 4 leads`)
})

leads('updateLead: status, owner and rectified values, each change kept as a revision', async (ctx) => {
  const id = g('Lead', ctx.leads.omar as string)
  const result = await gql(ctx, 'mutation($i: UpdateLeadInput!) { updateLead(input: $i) { lead { status name email phone owner { email } customFields revisions { nodes { changes changedBy { email } } } } userErrors { field code } } }', {
    i: { leadId: id, status: 'QUALIFIED', ownerId: g('User', ctx.memberId), name: '  Omar  Haddad-Rahimi ', email: 'Omar@Example.com', phone: '(415) 555-0199', customFields: { bathrooms: '2' } },
  })
  const lead = result.data.updateLead.lead
  assert.equal(result.data.updateLead.userErrors, [])
  assert.equal([lead.status, lead.name, lead.email, lead.phone, lead.owner.email, lead.customFields], ['QUALIFIED', 'Omar Haddad-Rahimi', 'omar@example.com', '+14155550199', 'tech@harbor.example', { bathrooms: 2 }])
  const [revision] = lead.revisions.nodes
  assert.equal(revision.changedBy, { email: 'owner@harbor.example' })
  assert.equal(revision.changes.status, { from: 'contacted', to: 'qualified' })
  assert.equal(revision.changes.phone, { from: '+14155550135', to: '+14155550199' })
  assert.equal(revision.changes['custom.bathrooms'], { from: null, to: 2 })
  const contact = await ctx.t.test.db('leads as l').join('contacts as c', 'c.id', 'l.contact_id').where('l.id', ctx.leads.omar).first('c.phone', 'c.email')
  assert.equal(contact, { phone: '+14155550199', email: 'omar@example.com' }, 'relinked to the corrected contact details')
})

leads('updateLead refuses bad values with userErrors and changes nothing', async (ctx) => {
  const before = await ctx.t.test.db('leads').where({ id: ctx.leads.kim }).first()
  const revisions = await ctx.t.test.db('lead_revisions').where({ lead_id: ctx.leads.kim }).count('* as n').first()
  const attempts = [
    [{ status: 'LOST', email: 'not-an-email' }, ['input', 'email']],
    [{ phone: 'call me maybe' }, ['input', 'phone']],
    [{ customFields: { bathrooms: 'many' } }, ['input', 'customFields']],
    [{ customFields: { favourite_colour: 'blue' } }, ['input', 'customFields']],
    [{ ownerId: g('User', ctx.ownerId.replace(/.$/, (c) => (c === '0' ? '1' : '0'))) }, ['input', 'ownerId']],
  ] as const
  for (const [change, field] of attempts) {
    const result = await gql(ctx, 'mutation($i: UpdateLeadInput!) { updateLead(input: $i) { lead { id } userErrors { field code message } } }', { i: { leadId: g('Lead', ctx.leads.kim as string), ...change } })
    assert.equal(result.data.updateLead.userErrors.map((e: { field: string[] }) => e.field), [field], JSON.stringify(change))
    assert.is(result.data.updateLead.lead, null)
  }
  assert.equal(await ctx.t.test.db('leads').where({ id: ctx.leads.kim }).first(), before)
  assert.equal(await ctx.t.test.db('lead_revisions').where({ lead_id: ctx.leads.kim }).count('* as n').first(), revisions)
})

leads('notes: added in order with their author; an empty note is refused', async (ctx) => {
  const add = (body: string) => gql(ctx, 'mutation($i: AddLeadNoteInput!) { addLeadNote(input: $i) { note { body author { email } } lead { notes { nodes { body } } } userErrors { code } } }', { i: { leadId: g('Lead', ctx.leads.lee as string), body } })
  await add('Called back, left a voicemail.')
  const second = await add('Booked for Tuesday.')
  assert.equal(second.data.addLeadNote.note, { body: 'Booked for Tuesday.', author: { email: 'owner@harbor.example' } })
  assert.equal(second.data.addLeadNote.lead.notes.nodes, [{ body: 'Called back, left a voicemail.' }, { body: 'Booked for Tuesday.' }])
  assert.equal((await add('   ')).data.addLeadNote.userErrors, [{ code: 'INVALID' }])
})

leads('a read-only credential cannot edit, and another organization cannot see the leads', async (ctx) => {
  const readOnly = await insertApiKey(ctx.t.test.db, ctx.orgId, ['leads:read'])
  const edit = await gql(ctx, 'mutation($i: UpdateLeadInput!) { updateLead(input: $i) { lead { id } } }', { i: { leadId: g('Lead', ctx.leads.dana as string), status: 'LOST' } }, readOnly.secret)
  assert.equal(errorCodes(edit), ['FORBIDDEN'])
  const other = await insertOrganization(ctx.t.test.db, { name: 'Elsewhere' })
  const outsider = await insertApiKey(ctx.t.test.db, other.id, ['leads:read', 'leads:write'])
  const list = await gql(ctx, LIST, { b: g('Business', ctx.businessId) }, outsider.secret)
  assert.is(list.data?.node ?? null, null)
  assert.is((await ctx.t.test.db('leads').where({ id: ctx.leads.dana }).first()).status, 'new')
})

leads('leadChanged: a subscriber of the business hears edits, and no other business\'s', async (ctx) => {
  const url = (await ctx.t.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws') + '/graphql'
  const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${ctx.token}` } })
  const received: any[] = []
  const heard = new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query: 'subscription($b: ID!) { leadChanged(businessId: $b) { kind fields lead { name status } } }', variables: { b: g('Business', ctx.businessId) } },
      { next: (value) => (received.push(value), resolve()), error: reject, complete: () => {} },
    )
  })
  try {
    await new Promise((resolve) => setTimeout(resolve, 200))
    await ctx.t.app.events.publish({ type: 'lead.updated', businessId: '00000000-0000-4000-8000-000000000000', leadId: ctx.leads.dana as string, fields: ['status'] })
    await gql(ctx, 'mutation($i: UpdateLeadInput!) { updateLead(input: $i) { userErrors { code } } }', { i: { leadId: g('Lead', ctx.leads.dana as string), status: 'CONTACTED' } })
    await Promise.race([heard, new Promise((_, reject) => setTimeout(() => reject(new Error('no event')), 5_000))])
    assert.equal(received, [{ data: { leadChanged: { kind: 'UPDATED', fields: ['status'], lead: { name: 'Dana Whitfield', status: 'CONTACTED' } } } }])
  } finally {
    await client.dispose()
  }
})

leads.run()
