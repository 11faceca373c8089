import { Webhook } from 'standardwebhooks'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../../app.ts'
import { insertMembership, insertUser, TEST_PASSWORD } from '../../core/testing/accounts.ts'
import { graphqlRequest } from '../../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { toGlobalId as g } from '../../graphql/relay/global-id.ts'
import { eventually, finishedCall, type Line } from '../../leads/testing/lead-fixture.ts'
import { insertVoiceBusiness, type VoiceBusiness } from '../../voice/testing/voice-fixture.ts'
import { startWebhookReceiver, type WebhookReceiver } from './testing/webhook-receiver.ts'

type Ctx = { t: TestApp; receiver: WebhookReceiver; business: VoiceBusiness; token: string }
const webhooks = suite<Ctx>('connectors: signed webhooks from the outbox, retried, logged, replayed')

const TRANSCRIPT: Line[] = [
  ['agent', 'Thanks for calling, how can I help?'],
  ['caller', 'This is Dana Whitfield, my sink is leaking. Call me on 415 555 0134.'],
]

const gql = (ctx: Ctx, query: string, variables: Record<string, unknown>) => graphqlRequest(ctx.t.app, query, variables, { token: ctx.token })

async function createWebhook(ctx: Ctx, options: { eventTypes?: string[]; url?: string } = {}): Promise<{ id: string; secret: string }> {
  const result = await gql(ctx, 'mutation($i: CreateConnectorInput!) { createConnector(input: $i) { connector { id status } signingSecret userErrors { field message } } }', {
    i: { businessId: g('Business', ctx.business.businessId), kind: 'WEBHOOK', name: 'Our CRM hook', config: { url: options.url ?? ctx.receiver.url }, ...(options.eventTypes && { eventTypes: options.eventTypes }) },
  })
  assert.equal(result.data.createConnector.userErrors, [])
  return { id: result.data.createConnector.connector.id, secret: result.data.createConnector.signingSecret }
}

const deliveriesOf = (ctx: Ctx, connectorGlobalId: string) => ctx.t.test.db('deliveries').where({ connector_id: Buffer.from(connectorGlobalId, 'base64url').toString().split(':')[1] }).orderBy('created_at')
const verified = (secret: string, hook: WebhookReceiver['received'][number]) => new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>) as Record<string, any>

webhooks.before(async (ctx) => {
  ctx.receiver = await startWebhookReceiver()
  ctx.t = await openTestApp(buildApp, { JOBS_POLL_SECONDS: '0.5' })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000 })
  const owner = await insertUser(ctx.t.test.db, { email: 'owner@hooks.example' })
  await insertMembership(ctx.t.test.db, owner.id, ctx.business.organizationId, 'owner')
  ctx.token = (await graphqlRequest(ctx.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email: owner.email, password: TEST_PASSWORD } })).data.logIn.tokens.accessToken
})
webhooks.before.each(async (ctx) => {
  ctx.receiver.received = []
  ctx.receiver.script = []
  await ctx.t.test.db('connectors').delete()
})
webhooks.after(async (ctx) => {
  await ctx.t.close()
  await ctx.receiver.close()
})

webhooks('a finished call and its lead arrive signed (Standard Webhooks), verified by the receiver\'s library', async (ctx) => {
  const hook = await createWebhook(ctx)
  assert.match(hook.secret, /^whsec_/)
  await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  await eventually(async () => ctx.receiver.received.length >= 2)
  const payloads = ctx.receiver.received.map((r) => verified(hook.secret, r))
  assert.equal(payloads.map((p) => p.type).sort(), ['call.completed', 'lead.captured'])
  const lead = payloads.find((p) => p.type === 'lead.captured')
  assert.equal([lead?.data.lead.name, lead?.data.lead.phone, lead?.data.call.from], ['Dana Whitfield', '+14155550134', '+14155550199'])
  assert.match(lead?.data.call.transcript, 'Caller: This is Dana Whitfield')
  const rows = await eventually(async () => {
    const all = await deliveriesOf(ctx, hook.id)
    return all.length === 2 && all.every((d) => d.status === 'delivered') ? all : undefined
  })
  assert.equal(rows.map((d) => d.attempts), [1, 1])
  const ids = ctx.receiver.received.map((r) => r.headers['webhook-id'])
  assert.equal(ids.sort(), rows.map((d) => d.event_id).sort(), 'webhook-id is the event id receivers deduplicate on')
})

webhooks('the event filter: a lead-only endpoint never hears about calls', async (ctx) => {
  await createWebhook(ctx, { eventTypes: ['lead.captured'] })
  await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  await eventually(async () => ctx.receiver.received.length >= 1)
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.equal(ctx.receiver.received.map((r) => JSON.parse(r.body).type), ['lead.captured'])
})

webhooks('503 with Retry-After is retried no sooner than asked; every attempt is logged with status and answer', async (ctx) => {
  const hook = await createWebhook(ctx, { eventTypes: ['call.completed'] })
  ctx.receiver.script.push({ status: 503, headers: { 'retry-after': '2' }, body: 'maintenance until 10:00' })
  await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const [delivery] = await eventually(async () => {
    const rows = await deliveriesOf(ctx, hook.id)
    return rows[0]?.status === 'delivered' ? rows : undefined
  }, 30_000)
  const [first, second] = ctx.receiver.received
  assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 2_000, 'waited for Retry-After')
  assert.is(first?.headers['webhook-id'], second?.headers['webhook-id'])
  const attempts = await ctx.t.test.db('delivery_attempts').where({ delivery_id: delivery.id }).orderBy('attempt')
  assert.equal(attempts.map((a) => [a.attempt, a.outcome, a.status_code, a.response_excerpt]), [[1, 'retry', 503, 'maintenance until 10:00'], [2, 'delivered', 200, '{"ok":true}']])
  assert.ok(attempts.every((a) => a.latency_ms >= 0))
})

webhooks('410 Gone fails at once; a replay sends it again with the same webhook-id', async (ctx) => {
  const hook = await createWebhook(ctx, { eventTypes: ['call.completed'] })
  ctx.receiver.script.push({ status: 410 })
  await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const [failed] = await eventually(async () => {
    const rows = await deliveriesOf(ctx, hook.id)
    return rows[0]?.status === 'failed' ? rows : undefined
  })
  assert.is(failed.attempts, 1)
  const replay = await gql(ctx, 'mutation($i: ReplayDeliveryInput!) { replayDelivery(input: $i) { delivery { status } userErrors { code } } }', { i: { deliveryId: g('Delivery', failed.id) } })
  assert.equal(replay.data.replayDelivery, { delivery: { status: 'PENDING' }, userErrors: [] })
  await eventually(async () => (await deliveriesOf(ctx, hook.id))[0]?.status === 'delivered')
  assert.equal(ctx.receiver.received.map((r) => r.headers['webhook-id']), [failed.event_id, failed.event_id])
})

webhooks('secret rotation: both secrets sign during the overlap, so receivers on either verify', async (ctx) => {
  const hook = await createWebhook(ctx, { eventTypes: ['call.completed'] })
  const rotated = await gql(ctx, 'mutation($i: ConnectorIdInput!) { rotateWebhookSecret(input: $i) { signingSecret userErrors { code } } }', { i: { connectorId: hook.id } })
  const fresh = rotated.data.rotateWebhookSecret.signingSecret as string
  assert.is.not(fresh, hook.secret)
  await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const [received] = await eventually(async () => (ctx.receiver.received.length ? ctx.receiver.received : undefined))
  assert.is(String(received?.headers['webhook-signature']).split(' ').length, 2)
  assert.is(verified(hook.secret, received as WebhookReceiver['received'][number]).type, 'call.completed')
  assert.is(verified(fresh, received as WebhookReceiver['received'][number]).type, 'call.completed')
  assert.throws(() => new Webhook(`whsec_${Buffer.from('not the secret at all, no').toString('base64')}`).verify(received?.body ?? '', received?.headers as Record<string, string>))
})

webhooks('an endpoint failing for days is disabled, its pending deliveries failed, and the owner emailed', async (ctx) => {
  const hook = await createWebhook(ctx, { eventTypes: ['call.completed'] })
  const connectorId = Buffer.from(hook.id, 'base64url').toString().split(':')[1]
  await ctx.t.test.db('connectors').where({ id: connectorId }).update({ failing_since: new Date(Date.now() - 4 * 86_400_000) })
  ctx.receiver.script.push({ status: 500, body: 'still broken' })
  await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const connector = await eventually(async () => {
    const row = await ctx.t.test.db('connectors').where({ id: connectorId }).first()
    return row.status === 'disabled' ? row : undefined
  })
  assert.match(connector.disabled_reason, /failed for 4 days/)
  // The pending deliveries are failed and the owner mailed just after the connector row changes.
  await eventually(async () => (await deliveriesOf(ctx, hook.id))[0].status === 'failed')
  await eventually(async () => ctx.t.app.mailer.outbox.find((m) => m.to === 'owner@hooks.example' && m.subject.includes('was turned off')))
})

webhooks('a delivery still failing after three days gives up', async (ctx) => {
  const hook = await createWebhook(ctx, { eventTypes: ['call.completed'] })
  ctx.receiver.script.push({ status: 500 })
  await ctx.t.test.db.raw("alter table deliveries alter column created_at set default now() - interval '4 days'")
  try {
    await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
    const [delivery] = await eventually(async () => {
      const rows = await deliveriesOf(ctx, hook.id)
      return rows[0]?.status === 'failed' ? rows : undefined
    })
    assert.equal([delivery.attempts, delivery.last_error], [1, 'the endpoint answered 500'])
  } finally {
    await ctx.t.test.db.raw('alter table deliveries alter column created_at set default now()')
  }
})

webhooks.run()
