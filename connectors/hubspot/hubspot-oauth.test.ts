import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../../core/testing/rejects.ts'
import type { OAuthApp } from '../connector.ts'
import { createHubSpotConnector } from './hubspot.connector.ts'
import { startFakeHubSpot, type FakeHubSpot } from './testing/fake-hubspot.ts'
import { makeContext, makeEvent } from './testing/fixtures.ts'

const oauth = suite<{ fake: FakeHubSpot; app: OAuthApp }>('hubspot connector: OAuth grant and token refresh')

oauth.before.each(async (ctx) => {
  ctx.fake = await startFakeHubSpot()
  ctx.app = { clientId: ctx.fake.tokens.clientId, clientSecret: ctx.fake.tokens.clientSecret, baseUrl: ctx.fake.baseUrl, redirectUri: 'https://app.answerline.test/connectors/oauth/callback' }
})
oauth.after.each(async (ctx) => {
  await ctx.fake.close()
})

const minutesFromNow = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()

/** Stored OAuth credentials whose access token HubSpot accepts; `expiresAt` is what we believe. */
function grant(fake: FakeHubSpot, expiresAt: string) {
  const issued = fake.tokens.issueOAuth()
  return { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt }
}

oauth('authorizeUrl sends the owner to HubSpot with client id, redirect, scopes and state', ({ app }) => {
  const url = new URL(createHubSpotConnector({ oauthApp: app }).oauth!.authorizeUrl(app, 'state-123', {}))
  assert.is(`${url.origin}${url.pathname}`, 'https://app.hubspot.com/oauth/authorize')
  assert.is(url.searchParams.get('client_id'), app.clientId)
  assert.is(url.searchParams.get('redirect_uri'), app.redirectUri)
  assert.is(url.searchParams.get('scope'), 'crm.objects.contacts.read crm.objects.contacts.write')
  assert.is(url.searchParams.get('state'), 'state-123')
})

oauth('exchangeCode trades the code for tokens that work', async ({ fake, app }) => {
  const connector = createHubSpotConnector({ oauthApp: app })
  const credentials = await connector.oauth!.exchangeCode(app, fake.tokens.issueCode(), {})
  assert.equal(Object.keys(credentials).sort(), ['accessToken', 'expiresAt', 'refreshToken'])
  const expiresIn = Date.parse(credentials.expiresAt as string) - Date.now()
  assert.ok(expiresIn > 1790_000 && expiresIn <= 1800_000, `expires in ${expiresIn} ms`)
  const token = fake.requests[0]
  assert.equal([token?.path, (token?.body as Record<string, string>).grant_type, (token?.body as Record<string, string>).redirect_uri], ['/oauth/v1/token', 'authorization_code', app.redirectUri])
  await connector.test(makeContext({ baseUrl: fake.baseUrl, credentials }))
})

oauth('exchangeCode with a used or unknown code is rejected', async ({ fake, app }) => {
  const error = await rejects(createHubSpotConnector({ oauthApp: app }).oauth!.exchangeCode(app, 'code-unknown', {}))
  assert.equal([error.name, error.code, error.retryable], ['ConnectorError', 'rejected', false])
  assert.match(error.message, 'unknown auth code')
  assert.is(fake.tokens.grants.authorization_code, 1)
})

oauth('a token expiring within five minutes is refreshed first and saved', async ({ fake, app }) => {
  const credentials = grant(fake, minutesFromNow(4))
  const ctx = makeContext({ baseUrl: fake.baseUrl, credentials })
  await createHubSpotConnector({ oauthApp: app }).deliver(makeEvent('lead.captured'), ctx)
  assert.is(fake.tokens.grants.refresh_token, 1)
  assert.is(ctx.saved.length, 1)
  const saved = ctx.saved[0] as { accessToken: string; refreshToken: string; expiresAt: string }
  assert.is.not(saved.accessToken, credentials.accessToken)
  assert.is(saved.refreshToken, credentials.refreshToken)
  assert.ok(Date.parse(saved.expiresAt) > Date.now() + 25 * 60_000)
  const [first, ...rest] = fake.requests
  assert.equal([first?.path, (first?.body as Record<string, string>).grant_type], ['/oauth/v1/token', 'refresh_token'])
  assert.ok(rest.every((r) => r.authorization === `Bearer ${saved.accessToken}`))
})

oauth('a token with time left is used as it is', async ({ fake, app }) => {
  const ctx = makeContext({ baseUrl: fake.baseUrl, credentials: grant(fake, minutesFromNow(20)) })
  await createHubSpotConnector({ oauthApp: app }).deliver(makeEvent('lead.captured'), ctx)
  assert.is(fake.tokens.grants.refresh_token, 0)
  assert.is(ctx.saved.length, 0)
})

oauth('a 401 mid-delivery refreshes once and retries the call once', async ({ fake, app }) => {
  const credentials = grant(fake, minutesFromNow(20))
  fake.tokens.expire(credentials.accessToken)
  const ctx = makeContext({ baseUrl: fake.baseUrl, credentials })
  const receipt = await createHubSpotConnector({ oauthApp: app }).deliver(makeEvent('lead.captured'), ctx)
  assert.is(receipt.matchRule, 'created')
  assert.is(fake.tokens.grants.refresh_token, 1)
  assert.is(ctx.saved.length, 1)
  assert.is(fake.contacts.size, 1)
  assert.is(fake.calls.size, 1)
})

oauth('a 401 that survives the refresh is auth_expired, not retried', async ({ fake, app }) => {
  const ctx = makeContext({ baseUrl: fake.baseUrl, credentials: grant(fake, minutesFromNow(20)) })
  fake.script.push({ match: 'contacts', status: 401 }, { match: 'contacts', status: 401 })
  const error = await rejects(createHubSpotConnector({ oauthApp: app }).deliver(makeEvent('lead.captured'), ctx))
  assert.equal([error.code, error.retryable, error.statusCode], ['auth_expired', false, 401])
  assert.is(fake.tokens.grants.refresh_token, 1, 'one refresh only')
})

oauth('a refused refresh token (app uninstalled) is auth_expired', async ({ fake, app }) => {
  const credentials = grant(fake, minutesFromNow(1))
  fake.tokens.revokeRefresh(credentials.refreshToken)
  const ctx = makeContext({ baseUrl: fake.baseUrl, credentials })
  const error = await rejects(createHubSpotConnector({ oauthApp: app }).deliver(makeEvent('lead.captured'), ctx))
  assert.equal([error.code, error.retryable], ['auth_expired', false])
  assert.match(error.message, 'refresh token')
  assert.is(ctx.saved.length, 0)
})

oauth('without an OAuth app, an expired OAuth token is auth_expired', async ({ fake }) => {
  const credentials = grant(fake, minutesFromNow(1))
  fake.tokens.expire(credentials.accessToken)
  const error = await rejects(createHubSpotConnector({ oauthApp: null, apiBaseUrl: fake.baseUrl }).deliver(makeEvent('lead.captured'), makeContext({ baseUrl: fake.baseUrl, credentials })))
  assert.equal([error.code, error.retryable], ['auth_expired', false])
})

oauth('without an API URL of its own, the connector uses the OAuth app\'s HubSpot (HUBSPOT_BASE_URL); a business\'s setting cannot move it', async ({ fake, app }) => {
  const ctx = makeContext({ baseUrl: fake.baseUrl, credentials: grant(fake, minutesFromNow(20)), config: { apiBaseUrl: 'https://api.hubapi.com' } })
  await createHubSpotConnector({ oauthApp: app }).test(ctx)
  assert.is(fake.requests.length, 1)
})

oauth.run()
