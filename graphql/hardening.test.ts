import { createClient } from 'graphql-ws'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../app.ts'
import type { Config } from '../core/index.ts'
import { insertApiKey, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId } from './relay/global-id.ts'

/** Limits that keep one client from exhausting the API, and checks on WebSocket connections. */
const hardening = suite<{ t: TestApp; wsUrl: string; origin: string }>('graphql: cost, limits and socket authentication')

const ALLOWED_ORIGIN = 'https://crm.example.com'

hardening.before(async (ctx) => {
  ctx.t = await openTestApp((config: Config) => buildApp(config), { ALLOWED_ORIGINS: ALLOWED_ORIGIN })
  ctx.wsUrl = `${(await ctx.t.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws')}/graphql`
})
hardening.after((ctx) => ctx.t.close())

const PLAN_PAGE = 'plans(first: 100) { nodes { id key name includedMinutes numberSlots features } }'

hardening('every response reports what the query cost and what is left', async ({ t }) => {
  const result = await graphqlRequest(t.app, '{ serviceStatus { state } }', {}, { ip: '192.0.2.1' })
  assert.equal(result.extensions?.cost, { requested: 2, maximum: 5000, remaining: 19998, capacity: 20000, restoreRate: 1000 })
})

hardening('a single query over the maximum cost is refused before it runs', async ({ t }) => {
  const result = await graphqlRequest(t.app, '{ organizations(first: 100) { nodes { businesses(first: 100) { nodes { name } } } } }', {}, { ip: '192.0.2.2' })
  assert.equal(errorCodes(result), ['BAD_USER_INPUT'])
  assert.is(result.errors?.[0]?.extensions.details?.maximum, 5000)
})

hardening('a credential that spends its budget is RATE_LIMITED while others are not', async ({ t }) => {
  const dear = `{ a: ${PLAN_PAGE} b: ${PLAN_PAGE} c: ${PLAN_PAGE} d: ${PLAN_PAGE} e: ${PLAN_PAGE} }`
  const codes: string[] = []
  for (let i = 0; i < 6; i++) codes.push(errorCodes(await graphqlRequest(t.app, dear, {}, { ip: '192.0.2.3' }))[0] ?? 'ok')
  assert.equal(codes, ['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED'])
  assert.equal(errorCodes(await graphqlRequest(t.app, dear, {}, { ip: '192.0.2.4' })), [])
})

hardening("embed tokens share a budget per API key and business: one business's page views cannot use up another's", async ({ t }) => {
  const organization = await insertOrganization(t.test.db, { businesses: 2 })
  const key = await insertApiKey(t.test.db, organization.id, ['embed_tokens:create', 'business:read', 'calls:read'])
  const embed = async (businessId: string) =>
    (await graphqlRequest(t.app, 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token } }', { i: { businessId: toGlobalId('Business', businessId), permissions: ['CALLS_READ'] } }, { token: key.secret })).data.createEmbedToken.token as string
  const [first, second] = organization.businessIds as [string, string]
  // Two page views of the first business, then one of the second.
  const views = [await embed(first), await embed(first), await embed(second)]
  const dear = `{ a: ${PLAN_PAGE} b: ${PLAN_PAGE} c: ${PLAN_PAGE} d: ${PLAN_PAGE} e: ${PLAN_PAGE} }`
  const spend = async (token: string) => errorCodes(await graphqlRequest(t.app, dear, {}, { token }))[0] ?? 'ok'
  const codes: string[] = []
  for (let i = 0; i < 6; i++) codes.push(await spend(views[i % 2] as string))
  assert.equal(codes, ['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED'])
  assert.is(await spend(views[2] as string), 'ok')
})

hardening('queries nested deeper than the limit are refused before they run', async ({ t }) => {
  const nest = (levels: number) => `{ organizations { nodes { ${'businesses { nodes { organization { '.repeat(levels)}name${' } } }'.repeat(levels)} } } }`
  assert.is((await graphqlRequest(t.app, nest(2), {}, { ip: '192.0.2.6' })).status, 200)
  const tooDeep = await graphqlRequest(t.app, nest(4), {}, { ip: '192.0.2.6' })
  assert.is(tooDeep.status, 400)
  assert.not.ok(tooDeep.data)
  assert.equal([...new Set(errorCodes(tooDeep))], ['GRAPHQL_VALIDATION_FAILED'])
})

hardening('too many aliases are refused', async ({ t }) => {
  const aliases = Array.from({ length: 21 }, (_, i) => `s${i}: serviceStatus { state }`).join(' ')
  const result = await graphqlRequest(t.app, `{ ${aliases} }`, {}, { ip: '192.0.2.5' })
  assert.is(result.status, 400)
  assert.equal([...new Set(errorCodes(result))], ['GRAPHQL_VALIDATION_FAILED'])
})

hardening('introspection is off in production unless enabled', async () => {
  const production = { NODE_ENV: 'production', RESEND_API_KEY: 're_test_key', LOG_LEVEL: 'silent', BCRYPT_COST: '12' }
  const closed = await openTestApp((config: Config) => buildApp(config), production)
  const open = await openTestApp((config: Config) => buildApp(config), { ...production, GRAPHQL_INTROSPECTION: 'true' })
  try {
    const refused = await graphqlRequest(closed.app, '{ __schema { types { name } } }')
    assert.is(refused.status, 400)
    assert.equal([...new Set(errorCodes(refused))], ['GRAPHQL_VALIDATION_FAILED'])
    assert.is((await closed.app.inject({ url: '/graphiql' })).statusCode, 404)
    assert.ok((await graphqlRequest(open.app, '{ __schema { queryType { name } } }')).data.__schema)
  } finally {
    await closed.close()
    await open.close()
  }
})

function socketResult(url: string, options: { origin?: string; authorization?: string; query: string }): Promise<{ data?: unknown; error?: unknown; closeCode?: number }> {
  return new Promise((resolve) => {
    class OriginSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, options.origin ? { headers: { origin: options.origin } } : {})
      }
    }
    const client = createClient({
      url,
      webSocketImpl: OriginSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: options.authorization ? { authorization: options.authorization } : {},
      on: { closed: (event) => resolve({ closeCode: (event as { code?: number }).code ?? 0 }) },
    })
    client.subscribe(
      { query: options.query },
      {
        next: (value) => {
          resolve({ data: value.data })
          void client.dispose()
        },
        error: (error) => resolve({ error }),
        complete: () => {},
      },
    )
    setTimeout(() => resolve({ error: 'timeout' }), 5_000).unref()
  })
}

hardening('sockets from an unknown Origin are refused; allowed ones and servers without Origin connect', async ({ wsUrl }) => {
  const evil = await socketResult(wsUrl, { origin: 'https://evil.example.net', query: '{ serviceStatus { state } }' })
  assert.ok(evil.closeCode !== undefined || evil.error, 'refused')
  assert.not.ok(evil.data)
  assert.equal((await socketResult(wsUrl, { origin: ALLOWED_ORIGIN, query: '{ serviceStatus { state } }' })).data, { serviceStatus: { state: 'READY' } })
  assert.equal((await socketResult(wsUrl, { query: '{ serviceStatus { state } }' })).data, { serviceStatus: { state: 'READY' } })
})

hardening('a socket authenticates at connection_init; a bad credential is refused there', async ({ t, wsUrl }) => {
  const user = await insertUser(t.test.db, { email: 'socket@example.com' })
  const login = await graphqlRequest(t.app, 'mutation($input: LogInInput!) { logIn(input: $input) { tokens { accessToken } } }', { input: { email: user.email, password: TEST_PASSWORD } })
  const token = login.data.logIn.tokens.accessToken
  const signedIn = await socketResult(wsUrl, { authorization: `Bearer ${token}`, query: '{ me { user { email } } }' })
  assert.equal(signedIn.data, { me: { user: { email: 'socket@example.com' } } })
  const refused = await socketResult(wsUrl, { authorization: 'Bearer not-a-token', query: '{ me { user { email } } }' })
  assert.not.ok(refused.data)
  const anonymous = await socketResult(wsUrl, { query: '{ me { user { email } } }' })
  assert.equal(anonymous.data, { me: null })
})

hardening.run()
