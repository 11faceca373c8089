import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../../core/testing/rejects.ts'
import { ConnectorError } from '../connector.ts'
import type { Connector } from '../connector.ts'
import { createHubSpotConnector } from './hubspot.connector.ts'
import { startFakeHubSpot, type FakeHubSpot } from './testing/fake-hubspot.ts'
import { makeContext, makeEvent, makeLead } from './testing/fixtures.ts'

const failures = suite<{ fake: FakeHubSpot; token: string }>('hubspot connector: vendor failures become ConnectorErrors')
let connector: Connector

failures.before.each(async (ctx) => {
  ctx.fake = await startFakeHubSpot()
  connector = createHubSpotConnector({ oauthApp: null, apiBaseUrl: ctx.fake.baseUrl })
  ctx.token = ctx.fake.tokens.issuePrivate()
})
failures.after.each(async (ctx) => {
  await ctx.fake.close()
})

const contextFor = (t: { fake: FakeHubSpot; token: string }, options: Partial<Parameters<typeof makeContext>[0]> = {}) => makeContext({ baseUrl: t.fake.baseUrl, credentials: { accessToken: t.token }, ...options })

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await rejects(promise)
  assert.instance(error, ConnectorError)
  return error as unknown as ConnectorError
}

failures('401 with a private-app token is auth_expired, not retried', async (t) => {
  const error = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t, { credentials: { accessToken: 'pat-revoked' } })))
  assert.equal([error.code, error.retryable, error.statusCode], ['auth_expired', false, 401])
  assert.match(error.message, 'Authentication credentials not found')
  assert.is(t.fake.requests.length, 1, 'no refresh and no second try for a private token')
})

failures('429 with Retry-After: 7 is rate_limited, retried after 7 s', async (t) => {
  t.fake.script.push({ status: 429, headers: { 'retry-after': '7' }, body: { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', category: 'RATE_LIMITS', policyName: 'TEN_SECONDLY_ROLLING' } })
  const error = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t)))
  assert.equal([error.code, error.retryable, error.retryAfterMs, error.statusCode], ['rate_limited', true, 7000, 429])
  assert.is(t.fake.requests.length, 1, 'the SDK does not retry on its own')
})

failures('429 without Retry-After waits HubSpot\'s 10 s window', async (t) => {
  t.fake.script.push({ status: 429 })
  const error = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t)))
  assert.equal([error.code, error.retryAfterMs], ['rate_limited', 10_000])
})

failures('500 is unavailable and retryable', async (t) => {
  t.fake.script.push({ match: 'contacts', status: 500 })
  const error = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t)))
  assert.equal([error.code, error.retryable, error.statusCode], ['unavailable', true, 500])
})

failures('a 502 page that is not JSON is still unavailable', async (t) => {
  t.fake.script.push({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' })
  const error = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t)))
  assert.equal([error.code, error.retryable], ['unavailable', true])
})

failures('400 validation is rejected, not retried, with HubSpot\'s message', async (t) => {
  const fieldMapping = { email: 'email', 'custom.gate_code': 'no_such_property' }
  const event = makeEvent('lead.captured', { lead: makeLead({ customFields: { gate_code: '12' } }) })
  const error = await failure(connector.deliver(event, contextFor(t, { fieldMapping })))
  assert.equal([error.code, error.retryable, error.statusCode], ['rejected', false, 400])
  // HubSpot nests the per-property errors as JSON inside the message, quotes escaped.
  assert.match(error.message, /Property values were not valid: .*Property \\"no_such_property\\" does not exist/)
  assert.match(error.responseExcerpt ?? '', 'VALIDATION_ERROR')
})

failures('403 (a missing scope) is rejected', async (t) => {
  t.fake.script.push({ status: 403, body: { status: 'error', message: 'This app hasn\'t been granted all required scopes to make this call.', category: 'MISSING_SCOPES' } })
  const error = await failure(connector.test(contextFor(t)))
  assert.equal([error.code, error.retryable, error.statusCode], ['rejected', false, 403])
  assert.match(error.message, 'scope')
})

failures('a response slower than the delivery budget is unavailable, and cut short', async (t) => {
  const impatient = createHubSpotConnector({ oauthApp: null, apiBaseUrl: t.fake.baseUrl, timeoutMs: 200 })
  t.fake.script.push({ delayMs: 3000 })
  const started = Date.now()
  const error = await failure(impatient.deliver(makeEvent('lead.captured'), contextFor(t)))
  assert.equal([error.code, error.retryable], ['unavailable', true])
  assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`)
})

failures('the dispatcher aborting the delivery ends it as unavailable', async (t) => {
  t.fake.script.push({ delayMs: 3000 })
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('worker shutting down')), 100)
  const error = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t, { signal: controller.signal })))
  assert.equal([error.code, error.retryable], ['unavailable', true])
})

failures('a dropped connection is unavailable', async (t) => {
  t.fake.script.push({ match: 'calls', drop: true })
  const error = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t)))
  assert.equal([error.code, error.retryable], ['unavailable', true])
})

failures('no stored credentials or broken settings fail without a request', async (t) => {
  const noCredentials = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t, { credentials: null })))
  assert.equal([noCredentials.code, noCredentials.retryable], ['auth_expired', false])
  const malformedGrant = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t, { credentials: { accessToken: t.token, refreshToken: 'rt', expiresAt: 'soon' } })))
  assert.equal([malformedGrant.code, malformedGrant.retryable], ['auth_expired', false], 'a broken OAuth grant is not used as a private token')
  const badConfig = await failure(connector.deliver(makeEvent('lead.captured'), contextFor(t, { config: { ownerRule: { kind: 'fixed' } } })))
  assert.equal([badConfig.code, badConfig.retryable], ['rejected', false])
  assert.is(t.fake.requests.length, 0)
})

failures.run()
