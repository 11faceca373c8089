import type { FastifyInstance } from 'fastify'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId } from './relay/global-id.ts'

const api = suite<{ t: TestApp; app: FastifyInstance }>('graphql: conventions of the API')

api.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  ctx.app = ctx.t.app
})
api.after((ctx) => ctx.t.close())

async function graphql(app: FastifyInstance, query: string, variables?: Record<string, unknown>) {
  const response = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { accept: 'application/graphql-response+json' },
    payload: { query, variables },
  })
  return { status: response.statusCode, body: response.json(), type: String(response.headers['content-type']) }
}

const codes = (body: { errors?: Array<{ extensions: { code: string } }> }) => body.errors?.map((e) => e.extensions.code)

api('the plan catalog is a cursor connection of Nodes', async ({ app }) => {
  const first = await graphql(app, '{ plans(first: 2) { totalCount edges { cursor node { id key includedMinutes } } pageInfo { hasNextPage hasPreviousPage endCursor } } }')
  assert.is(first.status, 200)
  assert.match(first.type, /^application\/graphql-response\+json/)
  const page = first.body.data.plans
  assert.is(page.totalCount, 5)
  assert.equal(page.edges.map((e: { node: { key: string } }) => e.node.key), ['FREE', 'STARTER'])
  assert.equal(page.pageInfo, { hasNextPage: true, hasPreviousPage: false, endCursor: page.edges[1].cursor })
  const rest = await graphql(app, 'query($after: String) { plans(first: 10, after: $after) { nodes { key } pageInfo { hasNextPage hasPreviousPage } } }', { after: page.pageInfo.endCursor })
  assert.equal(rest.body.data.plans.nodes.map((n: { key: string }) => n.key), ['GROWTH', 'PRO', 'ENTERPRISE'])
  assert.equal(rest.body.data.plans.pageInfo, { hasNextPage: false, hasPreviousPage: true })
  const last = await graphql(app, '{ plans(last: 2) { nodes { key } pageInfo { hasPreviousPage } } }')
  assert.equal(last.body.data.plans.nodes.map((n: { key: string }) => n.key), ['PRO', 'ENTERPRISE'])
  assert.is(last.body.data.plans.pageInfo.hasPreviousPage, true)
})

api('node(id:) and nodes(ids:) fetch objects by global id', async ({ app }) => {
  const growth = toGlobalId('Plan', 'growth')
  const single = await graphql(app, `{ node(id: "${growth}") { __typename id ... on Plan { name numberSlots features } } }`)
  assert.equal(single.body.data.node, { __typename: 'Plan', id: growth, name: 'Growth', numberSlots: 3, features: ['RECORDING', 'WEBHOOKS', 'CRM_CONNECTORS', 'API_ACCESS', 'CUSTOM_CAPTURE_FIELDS'] })
  const many = await graphql(app, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [growth, toGlobalId('Plan', 'platinum'), toGlobalId('Ghost', 'x')] })
  assert.equal(many.body.data.nodes, [{ id: growth }, null, null])
})

api('a malformed id is BAD_USER_INPUT, not a server error', async ({ app }) => {
  const result = await graphql(app, '{ node(id: "not-an-id") { id } }')
  assert.is(result.status, 200)
  assert.equal(codes(result.body), ['BAD_USER_INPUT'])
  assert.equal(result.body.errors[0].path, ['node'])
  assert.is(result.body.data.node, null)
})

api('bad pagination arguments are BAD_USER_INPUT', async ({ app }) => {
  for (const args of ['first: 1, last: 1', 'first: 101', 'first: -1', 'after: "garbage"', `after: "${Buffer.from('[99]').toString('base64url')}"`]) {
    const result = await graphql(app, `{ plans(${args}) { totalCount } }`)
    assert.equal(codes(result.body), ['BAD_USER_INPUT'], args)
  }
})

api('documents that cannot run are 400s with a typed code and no data entry', async ({ app }) => {
  const parse = await graphql(app, '{ plans { ')
  assert.is(parse.status, 400)
  assert.equal(codes(parse.body), ['GRAPHQL_PARSE_FAILED'])
  assert.not.ok('data' in parse.body)
  const invalid = await graphql(app, '{ plans { nope } serviceStatus { alsoNope } }')
  assert.is(invalid.status, 400)
  assert.equal(codes(invalid.body), ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED'])
  const badJson = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: '{"query": ' })
  assert.is(badJson.statusCode, 400)
  assert.equal(codes(badJson.json()), ['BAD_REQUEST'])
})

api('deeply nested introspection is refused before execution', async ({ app }) => {
  const nest = (levels: number) => `{ __schema { types { ${'fields { type { '.repeat(levels)}name${' } }'.repeat(levels)} } } }`
  assert.is((await graphql(app, nest(2))).status, 200)
  const tooDeep = await graphql(app, nest(6))
  assert.is(tooDeep.status, 400)
  assert.equal(codes(tooDeep.body), ['GRAPHQL_VALIDATION_FAILED'])
})

api('batched queries are refused', async ({ app }) => {
  const response = await app.inject({ method: 'POST', url: '/graphql', payload: [{ query: '{ serviceStatus { state } }' }, { query: '{ serviceStatus { state } }' }] })
  assert.is(response.statusCode, 400)
})

api('queries also work over GET', async ({ app }) => {
  const get = await app.inject({ url: `/graphql?query=${encodeURIComponent('{ serviceStatus { state version } }')}` })
  assert.is(get.statusCode, 200)
  assert.is(get.json().data.serviceStatus.state, 'READY')
})

api('CORS: a listed host origin may call the API from the browser, another may not, and no cookies are invited', async ({ app }) => {
  const allowed = app.config.graphql.allowedOrigins[0] as string
  const preflight = await app.inject({ method: 'OPTIONS', url: '/graphql', headers: { origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } })
  assert.is(preflight.statusCode, 204)
  assert.is(preflight.headers['access-control-allow-origin'], allowed)
  assert.match(String(preflight.headers['access-control-allow-headers']), 'authorization')
  assert.is(preflight.headers['access-control-allow-credentials'], undefined)
  const foreign = await app.inject({ method: 'OPTIONS', url: '/graphql', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
  assert.is(foreign.headers['access-control-allow-origin'], undefined)
})

api.run()
