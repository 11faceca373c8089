import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../../core/testing/rejects.ts'
import { createSalesforceConnector } from './salesforce.connector.ts'
import { startFakeSalesforce, type FakeSalesforce } from './testing/fake-salesforce.ts'
import { appFor, makeContext, makeEvent, restCalls } from './testing/salesforce-fixtures.ts'

const auth = suite<{ fake: FakeSalesforce }>('salesforce connector: OAuth grant, one refresh of an expired session, reconnect when refused')

auth.before.each(async (ctx) => {
  ctx.fake = await startFakeSalesforce()
})
auth.after.each(async (ctx) => {
  await ctx.fake.close()
})

const tokenRequests = (fake: FakeSalesforce) => fake.requests.filter((r) => r.path === '/services/oauth2/token')

auth('authorizeUrl sends the owner to the authorize endpoint with the app, the state and the api + refresh_token scopes', ({ fake }) => {
  const connector = createSalesforceConnector({ oauthApp: appFor(fake) })
  const url = new URL(connector.oauth!.authorizeUrl(appFor(fake), 'state-123', {}))
  assert.is(`${url.origin}${url.pathname}`, `${fake.baseUrl}/services/oauth2/authorize`)
  assert.equal(Object.fromEntries(url.searchParams), {
    scope: 'api refresh_token',
    state: 'state-123',
    response_type: 'code',
    client_id: fake.clientId,
    redirect_uri: appFor(fake).redirectUri,
  })
})

auth('exchangeCode trades the code for tokens and the instance URL, which then deliver', async ({ fake }) => {
  const connector = createSalesforceConnector({ oauthApp: appFor(fake) })
  const credentials = await connector.oauth!.exchangeCode(appFor(fake), fake.issueCode(), {})
  assert.equal(Object.keys(credentials).sort(), ['accessToken', 'instanceUrl', 'issuedAt', 'refreshToken'])
  assert.is(credentials.instanceUrl, fake.baseUrl)
  const grant = tokenRequests(fake)[0]!.body as Record<string, string>
  assert.equal([grant.grant_type, grant.client_id, grant.client_secret, grant.redirect_uri], ['authorization_code', fake.clientId, fake.clientSecret, appFor(fake).redirectUri])
  const receipt = await connector.deliver(makeEvent('lead.captured'), makeContext(credentials))
  assert.is(receipt.matchRule, 'created')
})

auth('a used or unknown code is rejected, not retried', async ({ fake }) => {
  const connector = createSalesforceConnector({ oauthApp: appFor(fake) })
  const error = await rejects(connector.oauth!.exchangeCode(appFor(fake), 'not-a-code', {}))
  assert.equal([error.name, error.code, error.retryable], ['ConnectorError', 'rejected', false])
  assert.match(error.message, 'invalid_grant')
})

auth('an expired session is refreshed once, stored, and the request sent again', async ({ fake }) => {
  const connector = createSalesforceConnector({ oauthApp: appFor(fake) })
  const credentials = fake.grant()
  const ctx = makeContext(credentials)
  fake.expireSessions()
  const receipt = await connector.deliver(makeEvent('lead.captured'), ctx)
  assert.is(receipt.matchRule, 'created')
  assert.equal([fake.leads.length, fake.tasks.length, tokenRequests(fake).length], [1, 1, 1])
  assert.is(ctx.saved.length, 1)
  const saved = ctx.saved[0]!
  assert.equal([saved.refreshToken, saved.instanceUrl], [credentials.refreshToken, fake.baseUrl])
  assert.is.not(saved.accessToken, credentials.accessToken)
  // The retried query carried the new token.
  const queries = fake.requests.filter((r) => r.path.endsWith('/query'))
  assert.equal([queries[0]!.authorization, queries[1]!.authorization], [`Bearer ${credentials.accessToken}`, `Bearer ${saved.accessToken}`])
  // The stored tokens work for the next delivery without another refresh.
  await connector.deliver(makeEvent('lead.updated'), makeContext(saved))
  assert.is(tokenRequests(fake).length, 1)
})

auth('a refused refresh token (invalid_grant) is auth_expired and not retried', async ({ fake }) => {
  const connector = createSalesforceConnector({ oauthApp: appFor(fake) })
  const ctx = makeContext(fake.grant())
  fake.expireSessions()
  fake.revokeRefreshTokens()
  const error = await rejects(connector.deliver(makeEvent('lead.captured'), ctx))
  assert.equal([error.code, error.retryable], ['auth_expired', false])
  assert.match(error.message, 'invalid_grant')
  assert.equal([ctx.saved.length, fake.leads.length], [0, 0])
})

auth('a session still refused after a refresh is auth_expired after exactly one refresh', async ({ fake }) => {
  const connector = createSalesforceConnector({ oauthApp: appFor(fake) })
  fake.script.next(5, { status: 401 }, /\/services\/data\//)
  const error = await rejects(connector.deliver(makeEvent('lead.captured'), makeContext(fake.grant())))
  assert.equal([error.code, error.retryable], ['auth_expired', false])
  assert.is(tokenRequests(fake).length, 1)
  assert.equal(restCalls(fake), ['GET /query', 'GET /query'])
})

auth('the token endpoint being down during a refresh is retryable', async ({ fake }) => {
  const connector = createSalesforceConnector({ oauthApp: appFor(fake) })
  const ctx = makeContext(fake.grant())
  fake.expireSessions()
  fake.script.next(1, { status: 503, body: 'maintenance', contentType: 'text/plain' }, /oauth2\/token/)
  const error = await rejects(connector.deliver(makeEvent('lead.captured'), ctx))
  assert.equal([error.code, error.retryable], ['unavailable', true])
})

auth('without the OAuth app, or without stored credentials, a person must reconnect', async ({ fake }) => {
  const withoutApp = createSalesforceConnector({ oauthApp: null })
  const ctx = makeContext(fake.grant())
  fake.expireSessions()
  const expired = await rejects(withoutApp.deliver(makeEvent('lead.captured'), ctx))
  assert.equal([expired.code, expired.retryable, expired.statusCode], ['auth_expired', false, 401])
  assert.match(expired.message, 'INVALID_SESSION_ID')
  const missing = await rejects(withoutApp.deliver(makeEvent('lead.captured'), makeContext(null)))
  assert.equal([missing.code, missing.retryable], ['auth_expired', false])
})

auth('test() fails with auth_expired when the grant was revoked', async ({ fake }) => {
  const connector = createSalesforceConnector({ oauthApp: appFor(fake) })
  const ctx = makeContext(fake.grant())
  fake.expireSessions()
  fake.revokeRefreshTokens()
  const error = await rejects(connector.test(ctx))
  assert.is(error.code, 'auth_expired')
})

auth.run()
