import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { startFakeHubSpot, type FakeHubSpot } from '../connectors/hubspot/testing/fake-hubspot.ts'
import { insertApiKey, insertMembership, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { eventually, finishedCall } from '../leads/testing/lead-fixture.ts'
import { insertVoiceBusiness, type VoiceBusiness } from '../voice/testing/voice-fixture.ts'
import { fromGlobalId, toGlobalId as g } from './relay/global-id.ts'

type Ctx = { t: TestApp; hubspot: FakeHubSpot; business: VoiceBusiness; token: string }
const connectors = suite<Ctx>('graphql: connecting CRMs (OAuth and tokens), settings, tests, sync status')

const gql = (ctx: Ctx, query: string, variables: Record<string, unknown> = {}) => graphqlRequest(ctx.t.app, query, variables, { token: ctx.token })
const CREATE = 'mutation($i: CreateConnectorInput!) { createConnector(input: $i) { connector { id kind status connected eventTypes fieldMapping config } authorizeUrl signingSecret userErrors { field code message } } }'
const create = (ctx: Ctx, input: Record<string, unknown>) => gql(ctx, CREATE, { i: { businessId: g('Business', ctx.business.businessId), ...input } })

connectors.before(async (ctx) => {
  ctx.hubspot = await startFakeHubSpot()
  ctx.t = await openTestApp(buildApp, {
    JOBS_POLL_SECONDS: '0.5',
    HUBSPOT_CLIENT_ID: ctx.hubspot.tokens.clientId,
    HUBSPOT_CLIENT_SECRET: ctx.hubspot.tokens.clientSecret,
    HUBSPOT_BASE_URL: ctx.hubspot.baseUrl,
  })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000 })
  const owner = await insertUser(ctx.t.test.db, { email: 'owner@crm.example' })
  await insertMembership(ctx.t.test.db, owner.id, ctx.business.organizationId, 'owner')
  ctx.token = (await graphqlRequest(ctx.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email: owner.email, password: TEST_PASSWORD } })).data.logIn.tokens.accessToken
})
connectors.before.each(async (ctx) => {
  await ctx.t.test.db('connectors').delete()
})
connectors.after(async (ctx) => {
  await ctx.t.close()
  await ctx.hubspot.close()
})

connectors('HubSpot by OAuth: authorize URL, callback, then a finished call lands as a contact with its call, shown as synced', async (ctx) => {
  const created = await create(ctx, { kind: 'HUBSPOT', name: 'Sales HubSpot' })
  const { connector, authorizeUrl } = created.data.createConnector
  assert.equal([connector.status, connector.connected], ['PAUSED', false], 'waits for the grant')
  const authorize = new URL(authorizeUrl)
  assert.is(authorize.searchParams.get('client_id'), ctx.hubspot.tokens.clientId)
  assert.is(authorize.searchParams.get('redirect_uri'), `${ctx.t.app.config.http.publicBaseUrl}/connectors/oauth/callback`)

  const forged = await ctx.t.app.inject({ url: `/connectors/oauth/callback?code=${ctx.hubspot.tokens.issueCode()}&state=forged.state.value` })
  assert.is(forged.statusCode, 400)
  const callback = await ctx.t.app.inject({ url: `/connectors/oauth/callback?code=${ctx.hubspot.tokens.issueCode()}&state=${authorize.searchParams.get('state')}` })
  assert.is(callback.statusCode, 200, callback.body)
  assert.match(callback.body, 'connected')
  const row = await ctx.t.test.db('connectors').where({ id: fromGlobalId(connector.id).localId }).first()
  assert.is(row.status, 'active')
  assert.not.ok(row.credentials_ciphertext.includes(Buffer.from('refresh')), 'tokens are sealed at rest')

  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, [['caller', 'This is Dana Whitfield, email dana at example dot com, my sink is leaking.']])
  const lead = await eventually(() => ctx.t.test.db('leads').where({ call_id: callId }).first())
  const synced = await eventually(async () => {
    const result = await gql(ctx, 'query($id: ID!) { node(id: $id) { ... on Lead { deliveries { nodes { status externalId matchRule connector { name kind } } } } } }', { id: g('Lead', lead.id) })
    const [delivery] = result.data.node.deliveries.nodes
    return delivery?.status === 'DELIVERED' ? delivery : undefined
  })
  const contact = [...ctx.hubspot.contacts.values()].find((c) => c.properties.email === 'dana@example.com')
  assert.ok(contact, 'the contact is in HubSpot')
  assert.equal(synced, { status: 'DELIVERED', externalId: contact?.id, matchRule: 'CREATED', connector: { name: 'Sales HubSpot', kind: 'HUBSPOT' } })
  assert.is([...ctx.hubspot.calls.values()].filter((c) => c.properties.hs_call_external_id === `answerline:${callId}`).length, 1)

  // A lead reader (a widget's key) sees where the lead went, not the connector's settings or log.
  const reader = await insertApiKey(ctx.t.test.db, ctx.business.organizationId, ['business:read', 'leads:read'])
  const asReader = await graphqlRequest(ctx.t.app, 'query($id: ID!) { node(id: $id) { ... on Lead { deliveries { nodes { status connector { name kind config } } } } } }', { id: g('Lead', lead.id) }, { token: reader.secret })
  assert.equal(asReader.errors?.map((e) => [e.extensions.code, e.path?.at(-1)]), [['FORBIDDEN', 'config']])
  assert.not.match(JSON.stringify(asReader.data), 'ownerRule')
  const nameOnly = await graphqlRequest(ctx.t.app, 'query($id: ID!) { node(id: $id) { ... on Lead { deliveries { nodes { status connector { name kind } } } } } }', { id: g('Lead', lead.id) }, { token: reader.secret })
  assert.equal(nameOnly.data.node.deliveries.nodes[0].connector, { name: 'Sales HubSpot', kind: 'HUBSPOT' })
})

connectors('HubSpot by private-app token: active at once; the connection test tells a good token from a bad one', async (ctx) => {
  const good = await create(ctx, { kind: 'HUBSPOT', name: 'Token HubSpot', credentials: { accessToken: ctx.hubspot.tokens.issuePrivate() } })
  assert.equal([good.data.createConnector.connector.status, good.data.createConnector.authorizeUrl], ['ACTIVE', null])
  const test = (id: string) => gql(ctx, 'mutation($i: ConnectorIdInput!) { testConnector(input: $i) { ok message } }', { i: { connectorId: id } })
  assert.equal((await test(good.data.createConnector.connector.id)).data.testConnector, { ok: true, message: null })
  const bad = await create(ctx, { kind: 'HUBSPOT', name: 'Stale token', credentials: { accessToken: 'pat-revoked' } })
  const failed = (await test(bad.data.createConnector.connector.id)).data.testConnector
  assert.is(failed.ok, false)
  assert.ok(failed.message)
})

connectors('bad settings are refused with userErrors per field, and nothing is written', async (ctx) => {
  const attempts: Array<[Record<string, unknown>, string[]]> = [
    [{ kind: 'WEBHOOK', name: 'Hook', config: { url: 'ftp://example.com/x' } }, ['input', 'config', 'url']],
    [{ kind: 'WEBHOOK', name: 'Hook', config: { url: 'https://example.com/x' }, eventTypes: ['lead.deleted'] }, ['input', 'eventTypes']],
    [{ kind: 'HUBSPOT', name: 'HubSpot', credentials: { accessToken: 'pat-x' }, fieldMapping: { 'not a field': 'email' } }, ['input', 'fieldMapping', 'not a field']],
    [{ kind: 'HUBSPOT', name: 'HubSpot', credentials: { accessToken: 'pat-x' }, config: { ownerRule: { kind: 'fixed' } } }, ['input', 'config', 'ownerRule', 'ownerId']],
    [{ kind: 'SALESFORCE', name: 'Salesforce' }, ['input', 'credentials']],
    [{ kind: 'WEBHOOK', name: ' ', config: { url: 'https://example.com/x' } }, ['input', 'name']],
  ]
  for (const [input, field] of attempts) {
    const result = await create(ctx, input)
    assert.equal(result.data.createConnector.userErrors.map((e: { field: string[] }) => e.field), [field], JSON.stringify(input))
    assert.is(result.data.createConnector.connector, null)
  }
  assert.is((await ctx.t.test.db('connectors')).length, 0)
})

connectors('settings, mapping, pause and resume, and removal', async (ctx) => {
  const created = await create(ctx, { kind: 'WEBHOOK', name: 'Hook', config: { url: 'https://example.com/hook' } })
  const id = created.data.createConnector.connector.id
  const update = (input: Record<string, unknown>) => gql(ctx, 'mutation($i: UpdateConnectorInput!) { updateConnector(input: $i) { connector { name status eventTypes config } userErrors { field } } }', { i: { connectorId: id, ...input } })
  const renamed = await update({ name: 'Renamed', eventTypes: ['lead.updated'], config: { url: 'https://example.com/other' } })
  assert.equal(renamed.data.updateConnector.connector, { name: 'Renamed', status: 'ACTIVE', eventTypes: ['lead.updated'], config: { url: 'https://example.com/other' } })
  assert.is((await update({ active: false })).data.updateConnector.connector.status, 'PAUSED')
  assert.is((await update({ active: true })).data.updateConnector.connector.status, 'ACTIVE')
  const removed = await gql(ctx, 'mutation($i: ConnectorIdInput!) { deleteConnector(input: $i) { deletedConnectorId } }', { i: { connectorId: id } })
  assert.is(removed.data.deleteConnector.deletedConnectorId, id)
  assert.is((await ctx.t.test.db('connectors')).length, 0)
})

connectors.run()
