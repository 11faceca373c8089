import { randomBytes } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../../app.ts'
import { insertApiKey, insertOrganization } from '../../core/testing/accounts.ts'
import { graphqlRequest } from '../../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { toGlobalId } from '../../graphql/relay/global-id.ts'
import { GraphQLClient } from './graphql-client.ts'

/** The widgets' client against the real api: a socket refused for its credential comes back with a fresh token. */
const client = suite<{ t: TestApp; base: string; organizationId: string; businessId: string }>('widgets: the GraphQL client and refused sockets')

client.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp, { SOCKET_CREDENTIAL_CHECK_SECONDS: '0.2' })
  ctx.base = await ctx.t.app.listen({ host: '127.0.0.1', port: 0 })
  const organization = await insertOrganization(ctx.t.test.db, { businesses: 1 })
  ctx.organizationId = organization.id
  ctx.businessId = organization.businessIds[0] as string
})
client.after((ctx) => ctx.t.close())

/** Waits for `check`, doing `meanwhile` between looks (publishing an event, say). */
async function eventually(check: () => boolean, what: string, meanwhile: () => Promise<unknown> = async () => {}): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await meanwhile()
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

client("after the api closes the socket (the token's key was revoked), the client reconnects with a token from the host's provider", async (ctx) => {
  const db = ctx.t.test.db
  const mintingKey = async () => insertApiKey(db, ctx.organizationId, ['embed_tokens:create', 'business:read', 'calls:read'])
  const mint = async (secret: string) =>
    (await graphqlRequest(ctx.t.app, 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token } }', { i: { businessId: toGlobalId('Business', ctx.businessId), permissions: ['CALLS_READ'] } }, { token: secret })).data.createEmbedToken.token as string
  const [first, second] = [await mintingKey(), await mintingKey()]
  let provided = 0
  const widget = new GraphQLClient({ apiBase: ctx.base, token: await mint(first.secret), tokenProvider: async () => (provided++, mint(second.secret)) })
  const received: string[] = []
  const [call] = await db('calls').insert({ business_id: ctx.businessId, direction: 'inbound', twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, from_number: '+15550001111', to_number: '+15559870000', status: 'completed' }).returning('id')
  const publish = () => ctx.t.app.events.publish({ type: 'call.completed', businessId: ctx.businessId, callId: call.id })
  const stop = widget.subscribe<{ callChanged: { id: string } }>('subscription($b: ID!) { callChanged(businessId: $b) { id } }', { b: toGlobalId('Business', ctx.businessId) }, (data) => received.push(data.callChanged.id), () => {})
  try {
    await eventually(() => received.length > 0, 'an event on the first token', publish)
    await db('api_keys').where({ id: first.id }).update({ revoked_at: new Date() })
    await eventually(() => provided === 1, 'the client to ask the host for a fresh token')
    const before = received.length
    await eventually(() => received.length > before, 'an event on the fresh token', publish)
    assert.is(provided, 1)
    assert.ok(received.every((id) => id === toGlobalId('Call', call.id)))
  } finally {
    stop()
    widget.dispose()
  }
})

client('without a provider, a socket refused for its credential stays closed and the subscription reports the error', async (ctx) => {
  const db = ctx.t.test.db
  const key = await insertApiKey(db, ctx.organizationId, ['embed_tokens:create', 'business:read', 'calls:read'])
  const token = (await graphqlRequest(ctx.t.app, 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token } }', { i: { businessId: toGlobalId('Business', ctx.businessId), permissions: ['CALLS_READ'] } }, { token: key.secret })).data.createEmbedToken.token as string
  const widget = new GraphQLClient({ apiBase: ctx.base, token, tokenProvider: null })
  const received: string[] = []
  const errors: Error[] = []
  const [call] = await db('calls').insert({ business_id: ctx.businessId, direction: 'inbound', twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, from_number: '+15550001111', to_number: '+15559870000', status: 'completed' }).returning('id')
  const publish = () => ctx.t.app.events.publish({ type: 'call.completed', businessId: ctx.businessId, callId: call.id })
  const stop = widget.subscribe<{ callChanged: { id: string } }>('subscription($b: ID!) { callChanged(businessId: $b) { id } }', { b: toGlobalId('Business', ctx.businessId) }, (data) => received.push(data.callChanged.id), (error) => errors.push(error))
  try {
    await eventually(() => received.length > 0, 'an event before the revocation', publish)
    await db('api_keys').where({ id: key.id }).update({ revoked_at: new Date() })
    // Retrying with the refused token would loop forever; the subscription ends with an error instead.
    await eventually(() => errors.length > 0, 'the subscription to report the refused socket')
    assert.is(errors.length, 1)
  } finally {
    stop()
    widget.dispose()
  }
})

client.run()
