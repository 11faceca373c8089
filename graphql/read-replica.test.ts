import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { testConfig } from '../core/index.ts'
import { insertApiKey, insertOrganization } from '../core/testing/accounts.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { openTestDb, type TestDb } from '../core/testing/test-db.ts'
import { toGlobalId } from './relay/global-id.ts'

// The "replica" is a second database holding a copy of the same rows with one marked difference:
// whichever name a read returns says which database answered it.
const PRIMARY_NAME = 'Written on the primary'
const REPLICA_NAME = 'Copied to the replica'
const LEAD = `query($id: ID!) { node(id: $id) { ... on Lead { name } } }`
const UPDATE = `mutation($input: UpdateLeadInput!) { updateLead(input: $input) { lead { name } userErrors { code } } }`

const replica = suite<{ replica: TestDb; t: TestApp; leadId: string; token: string }>('graphql: read-only queries on the replica')

replica.before(async (ctx) => {
  ctx.replica = await openTestDb()
  ctx.t = await openTestApp(buildApp, { DATABASE_REPLICA_URL: ctx.replica.url })
  const db = ctx.t.test.db
  const org = await insertOrganization(db)
  const businessId = org.businessIds[0] as string
  const [call] = await db('calls').insert({ business_id: businessId, direction: 'test', from_number: '+15550100000', to_number: '+15550100001', status: 'completed' }).returning('id')
  const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, extraction_method: 'manual', name: PRIMARY_NAME }).returning('id')
  for (const [table, id] of [['organizations', org.id], ['businesses', businessId], ['calls', call.id], ['leads', lead.id]] as const) {
    const { search_vector: _generated, ...row } = await db(table).where({ id }).first()
    await ctx.replica.db(table).insert(row)
  }
  await ctx.replica.db('leads').where({ id: lead.id }).update({ name: REPLICA_NAME })
  ctx.leadId = toGlobalId('Lead', lead.id)
  // The credential exists on the primary only: authentication never reads the replica.
  ctx.token = (await insertApiKey(db, org.id, ['business:read', 'leads:read', 'leads:write'])).secret
})
replica.after(async (ctx) => {
  await ctx.t.close()
  await ctx.replica.destroy()
})

replica('a query reads from the replica, authenticated on the primary', async (ctx) => {
  const result = await graphqlRequest(ctx.t.app, LEAD, { id: ctx.leadId }, { token: ctx.token })
  assert.equal(result.errors, undefined)
  assert.equal(result.data.node.name, REPLICA_NAME)
})

replica('a mutation writes and reads back on the primary, leaving the replica alone', async (ctx) => {
  const result = await graphqlRequest(ctx.t.app, UPDATE, { input: { leadId: ctx.leadId, name: 'Renamed' } }, { token: ctx.token })
  assert.equal(result.data.updateLead, { lead: { name: 'Renamed' }, userErrors: [] })
  const id = (await ctx.t.test.db('leads').first('id')).id
  assert.equal((await ctx.t.test.db('leads').where({ id }).first()).name, 'Renamed')
  assert.equal((await ctx.replica.db('leads').where({ id }).first()).name, REPLICA_NAME)
})

replica('a document that holds a mutation reads its queries from the primary too', async (ctx) => {
  const document = `query Read($id: ID!) { node(id: $id) { ... on Lead { name } } } mutation Write($input: UpdateLeadInput!) { updateLead(input: $input) { lead { name } userErrors { code } } }`
  const response = await ctx.t.app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${ctx.token}` }, payload: { query: document, variables: { id: ctx.leadId }, operationName: 'Read' } })
  assert.equal(response.json().data.node.name, 'Renamed')
})

replica('without DATABASE_REPLICA_URL queries read the primary; workers never open a replica pool; pools are sized per role', async (ctx) => {
  const plain = await buildApp(testConfig({ DATABASE_URL: ctx.t.test.url }), { role: 'api' })
  const worker = await buildApp(testConfig({ DATABASE_URL: ctx.t.test.url, DATABASE_REPLICA_URL: ctx.replica.url }), { role: 'worker' })
  try {
    assert.is(plain.dbReplica, plain.db)
    // Each role opens the pool its default sizes (see poolSizeFor).
    assert.is(plain.db.client.pool.max, 20)
    assert.is(worker.db.client.pool.max, 12)
    assert.is(worker.dbReplica, worker.db)
    assert.is.not(ctx.t.app.dbReplica, ctx.t.app.db)
    const result = await graphqlRequest(plain, LEAD, { id: ctx.leadId }, { token: ctx.token })
    assert.equal(result.data.node.name, 'Renamed')
  } finally {
    await plain.close()
    await worker.close()
  }
})

replica.run()
