import { createClient, type Client } from 'graphql-ws'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../app.ts'
import { insertApiKey, insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId } from './relay/global-id.ts'

/** A socket lives only as long as its credential: a revoked key or an ended session closes it. */
const sockets = suite<{ t: TestApp; url: string; organizationId: string; businessId: string }>('graphql: sockets whose credential stops being valid')
const CHECK_SECONDS = 0.2

sockets.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp, { SOCKET_CREDENTIAL_CHECK_SECONDS: String(CHECK_SECONDS) })
  ctx.url = (await ctx.t.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws') + '/graphql'
  const organization = await insertOrganization(ctx.t.test.db, { businesses: 1 })
  ctx.organizationId = organization.id
  ctx.businessId = organization.businessIds[0] as string
})
sockets.after((ctx) => ctx.t.close())

/** Subscribes to the business's calls with `token`; resolves with the close code once the socket closes. */
async function subscribed(ctx: { url: string; businessId: string }, token: string): Promise<{ client: Client; closed: Promise<number> }> {
  const client = createClient({ url: ctx.url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {}, connectionParams: { authorization: `Bearer ${token}` } })
  const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)))
  const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()))
  client.subscribe({ query: 'subscription($b: ID!) { callChanged(businessId: $b) { id } }', variables: { b: toGlobalId('Business', ctx.businessId) } }, { next: () => {}, error: () => {}, complete: () => {} })
  await connected
  return { client, closed }
}

const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), ms).unref())])

sockets('a socket opened with an API key is closed (4403) soon after the key is revoked, and one whose key holds stays open', async (ctx) => {
  const revoked = await insertApiKey(ctx.t.test.db, ctx.organizationId, ['business:read', 'calls:read'])
  const kept = await insertApiKey(ctx.t.test.db, ctx.organizationId, ['business:read', 'calls:read'])
  const [doomed, lasting] = [await subscribed(ctx, revoked.secret), await subscribed(ctx, kept.secret)]
  try {
    // Several checks pass while both keys are valid.
    assert.is(await within(doomed.closed, CHECK_SECONDS * 5 * 1000), 'open')
    await ctx.t.test.db('api_keys').where({ id: revoked.id }).update({ revoked_at: new Date() })
    assert.is(await within(doomed.closed, 5_000), 4403)
    assert.is(await within(lasting.closed, CHECK_SECONDS * 5 * 1000), 'open')
  } finally {
    await Promise.all([doomed.client.dispose(), lasting.client.dispose()])
  }
})

sockets("a signed-in person's socket is closed once the session is logged out", async (ctx) => {
  const user = await insertUser(ctx.t.test.db)
  await insertMembership(ctx.t.test.db, user.id, ctx.organizationId, 'owner')
  const login = await graphqlRequest(ctx.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email: user.email, password: TEST_PASSWORD } })
  const accessToken = login.data.logIn.tokens.accessToken as string
  const socket = await subscribed(ctx, accessToken)
  try {
    assert.is(await within(socket.closed, CHECK_SECONDS * 3 * 1000), 'open')
    const loggedOut = await graphqlRequest(ctx.t.app, 'mutation { logOut { userErrors { message } } }', {}, { token: accessToken })
    assert.equal(loggedOut.errors, undefined)
    assert.is(await within(socket.closed, 5_000), 4403)
  } finally {
    await socket.client.dispose()
  }
})

sockets.run()
