import Stripe from 'stripe'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../../core/testing/rejects.ts'
import { parseForm } from './fake-stripe-routes.ts'
import { startFakeStripe, type FakeStripe, type StripeEvent } from './fake-stripe.ts'

interface Ctx {
  fake: FakeStripe
  stripe: Stripe
}

const fakeStripe = suite<Ctx>('fake Stripe: the official SDK against a local server speaking its API')

const STARTER = 'price_starter'
const GROWTH = 'price_growth'
const TOPUP = 'price_topup100'
const DAY = 86_400

const client = (fake: FakeStripe, key = 'sk_test_fake', timeout = 2000) => new Stripe(key, { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 2, timeout })

fakeStripe.before.each(async (ctx) => {
  ctx.fake = await startFakeStripe()
  ctx.fake.addPrice({ id: STARTER, unit_amount: 4900, currency: 'usd', recurring: { interval: 'month' } })
  ctx.fake.addPrice({ id: GROWTH, unit_amount: 14900, currency: 'usd', recurring: { interval: 'month' } })
  ctx.fake.addPrice({ id: TOPUP, unit_amount: 2500, currency: 'usd', metadata: { minutes: '100' } })
  ctx.stripe = client(ctx.fake)
})
fakeStripe.after.each(async (ctx) => {
  await ctx.fake.close()
})

/** A customer who has paid for the starter plan through Checkout, and the events that said so. */
async function subscribed(ctx: Ctx) {
  const customer = await ctx.stripe.customers.create({ email: 'owner@acme.example', name: 'Acme Dental' })
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: STARTER, quantity: 1 }],
    success_url: 'https://app.example/billing?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://app.example/billing',
    client_reference_id: 'account-1',
    metadata: { billingAccountId: 'account-1' },
    subscription_data: { metadata: { billingAccountId: 'account-1' } },
  })
  const events = ctx.fake.completeCheckout(session.id)
  const subscriptionId = (events[1] as StripeEvent).data.object.id
  return { customer, session, events, subscriptionId }
}

fakeStripe('bracket-notation forms parse into nested objects and arrays, and prototype keys are dropped', () => {
  const form = parseForm('line_items[0][price]=price_a&line_items[0][quantity]=1&line_items[1][price]=price_b&metadata[org]=o%201%26x%3Dy&expand[]=a&expand[]=b&metadata[gone]=&__proto__[polluted]=1')
  assert.equal(form, { line_items: [{ price: 'price_a', quantity: '1' }, { price: 'price_b' }], metadata: { org: 'o 1&x=y', gone: '' }, expand: ['a', 'b'] })
  assert.is(({} as Record<string, unknown>).polluted, undefined)
})

fakeStripe('customers: created, read and updated through the SDK, with its form body, key and idempotency key recorded', async (ctx) => {
  const before = Math.floor(Date.now() / 1000)
  const created = await ctx.stripe.customers.create({ email: 'owner@acme.example', name: 'Acme Dental', metadata: { org: 'o 1&x=y' } })
  assert.match(created.id, /^cus_/)
  assert.equal([created.object, created.livemode, created.email, created.metadata], ['customer', false, 'owner@acme.example', { org: 'o 1&x=y' }])
  assert.ok(created.created >= before && created.created <= before + 5, 'created is in unix seconds')
  const [request] = ctx.fake.requests
  assert.equal([request?.method, request?.path, request?.body], ['POST', '/v1/customers', { email: 'owner@acme.example', name: 'Acme Dental', metadata: { org: 'o 1&x=y' } }])
  assert.match(request?.idempotencyKey ?? '', /^stripe-node-retry-/)
  assert.is(request?.authorization, 'Bearer sk_test_fake')

  await ctx.stripe.customers.update(created.id, { invoice_settings: { default_payment_method: 'pm_card_visa' }, metadata: { org: '', plan: 'starter' } })
  const read = await ctx.stripe.customers.retrieve(created.id)
  assert.ok(!read.deleted)
  assert.equal([read.invoice_settings.default_payment_method, read.metadata], ['pm_card_visa', { plan: 'starter' }], 'an empty metadata value unsets its key')
})

fakeStripe('a subscription checkout: an open session with its URL, then once paid the events Stripe sends, in order, each a snapshot', async (ctx) => {
  const { session, events, customer } = await subscribed(ctx)
  assert.match(session.id, /^cs_test_/)
  assert.equal([session.status, session.payment_status, session.url], ['open', 'unpaid', `https://checkout.stripe.test/c/pay/${session.id}`])
  assert.equal(events.map((e) => e.type), ['checkout.session.completed', 'customer.subscription.created', 'invoice.finalized', 'invoice.paid'])
  for (const event of events) {
    assert.match(event.id, /^evt_/)
    assert.equal([event.object, event.api_version, event.livemode, event.pending_webhooks, event.request], ['event', Stripe.API_VERSION, false, 1, { id: null, idempotency_key: null }])
  }
  const [completed, created, finalized, paid] = events.map((e) => e.data.object)
  assert.equal([completed?.status, completed?.payment_status, completed?.customer, completed?.subscription], ['complete', 'paid', customer.id, created?.id])
  assert.equal([created?.status, created?.metadata, created?.latest_invoice], ['active', { billingAccountId: 'account-1' }, finalized?.id])
  assert.equal([finalized?.status, finalized?.amount_paid, finalized?.status_transitions.paid_at], ['open', 0, null], 'invoice.finalized carries the invoice before payment')
  assert.equal([paid?.status, paid?.amount_paid, paid?.billing_reason, paid?.attempt_count], ['paid', 4900, 'subscription_create', 1])
  const read = await ctx.stripe.checkout.sessions.retrieve(session.id)
  assert.equal([read.status, read.subscription, read.invoice], ['complete', created?.id, paid?.id])
})

fakeStripe('the subscription and its invoices read back: the period on the item, invoices newest first, expand', async (ctx) => {
  const { customer, subscriptionId } = await subscribed(ctx)
  const subscription = await ctx.stripe.subscriptions.retrieve(subscriptionId)
  const item = subscription.items.data[0]
  assert.equal([subscription.status, subscription.customer, item?.price.id, item?.price.unit_amount, item?.quantity], ['active', customer.id, STARTER, 4900, 1])
  const days = ((item?.current_period_end ?? 0) - (item?.current_period_start ?? 0)) / DAY
  assert.ok(days >= 28 && days <= 31, `a month-long period, got ${days} days`)
  assert.is((subscription as unknown as Record<string, unknown>).current_period_end, undefined, 'as at API versions since 2025-03-31, the period is only on the items')

  ctx.fake.renewSubscription(subscriptionId, { pay: true })
  const invoices = await ctx.stripe.invoices.list({ customer: customer.id, limit: 10 })
  assert.equal([invoices.object, invoices.url, invoices.has_more], ['list', '/v1/invoices', false])
  assert.equal(invoices.data.map((i) => [i.billing_reason, i.status, i.amount_paid]), [['subscription_cycle', 'paid', 4900], ['subscription_create', 'paid', 4900]])
  const [renewal, first] = invoices.data
  assert.match(first?.number ?? '', /^[A-Z0-9]{8}-0001$/)
  assert.is(renewal?.parent?.subscription_details?.subscription, subscriptionId)
  const periodEnded = item?.current_period_end
  assert.equal([renewal?.period_end, renewal?.lines.data[0]?.period.start], [periodEnded, periodEnded], 'invoice periods bound the period just ended; the line has the one billed for')
  assert.equal((await ctx.stripe.invoices.list({ customer: customer.id, limit: 1 })).has_more, true)
  assert.is((await ctx.stripe.invoices.retrieve(first?.id as string)).hosted_invoice_url, `https://invoice.stripe.test/i/${first?.id}`)

  const expanded = await ctx.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice', 'customer'] })
  assert.equal([(expanded.latest_invoice as Stripe.Invoice).id, (expanded.customer as Stripe.Customer).email], [renewal?.id, 'owner@acme.example'])
  assert.is((await rejects(ctx.stripe.subscriptions.retrieve(subscriptionId, { expand: ['created'] }))).statusCode, 400, 'only ids expand')
})

fakeStripe('a failed renewal leaves the invoice open and the subscription past_due; a paid retry brings it back', async (ctx) => {
  const { subscriptionId } = await subscribed(ctx)
  const failed = ctx.fake.renewSubscription(subscriptionId, { pay: false })
  assert.equal(failed.map((e) => e.type), ['invoice.finalized', 'invoice.payment_failed', 'customer.subscription.updated'])
  const [, paymentFailed, updated] = failed
  assert.equal([paymentFailed?.data.object.status, paymentFailed?.data.object.attempt_count, updated?.data.object.status], ['open', 1, 'past_due'])
  assert.equal(updated?.data.previous_attributes?.status, 'active')
  assert.is((await ctx.stripe.subscriptions.retrieve(subscriptionId)).status, 'past_due')

  const retried = ctx.fake.retryInvoice(paymentFailed?.data.object.id as string, { pay: true })
  assert.equal(retried.map((e) => [e.type, e.data.object.status]), [['invoice.paid', 'paid'], ['customer.subscription.updated', 'active']])
  assert.is(retried[0]?.data.object.attempt_count, 2)
})

fakeStripe('a plan change through subscriptions.update replaces the named item\'s price and records the event it causes', async (ctx) => {
  const { subscriptionId } = await subscribed(ctx)
  const itemId = (await ctx.stripe.subscriptions.retrieve(subscriptionId)).items.data[0]?.id as string
  const changed = await ctx.stripe.subscriptions.update(subscriptionId, { items: [{ id: itemId, price: GROWTH }], proration_behavior: 'create_prorations', metadata: { plan: 'growth' } })
  assert.equal(changed.items.data.map((i) => [i.id, i.price.id]), [[itemId, GROWTH]])
  assert.equal(changed.metadata, { billingAccountId: 'account-1', plan: 'growth' })
  const event = ctx.fake.events.at(-1) as StripeEvent
  assert.equal([event.type, event.request.idempotency_key], ['customer.subscription.updated', ctx.fake.requests.at(-1)?.idempotencyKey])
  assert.match(event.request.id ?? '', /^req_/)
  assert.is(event.data.previous_attributes?.items && (event.data.previous_attributes.items as Stripe.ApiList<Stripe.SubscriptionItem>).data[0]?.price.id, STARTER)

  const added = await ctx.stripe.subscriptions.update(subscriptionId, { items: [{ price: STARTER }] })
  assert.equal(added.items.data.map((i) => i.price.id), [GROWTH, STARTER], 'an item without its id is added, as Stripe does')
  const error = await rejects(ctx.stripe.subscriptions.update(subscriptionId, { items: [{ id: 'si_missing', price: GROWTH }] }))
  assert.equal([error.statusCode, error.code, error.param], [400, 'resource_missing', 'items[0][id]'])
})

fakeStripe('cancelling: at period end sets cancel_at; DELETE cancels now; a second DELETE is refused', async (ctx) => {
  const { subscriptionId } = await subscribed(ctx)
  const atEnd = await ctx.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true })
  assert.equal([atEnd.cancel_at_period_end, atEnd.cancel_at, atEnd.status], [true, atEnd.items.data[0]?.current_period_end, 'active'])
  const canceled = await ctx.stripe.subscriptions.cancel(subscriptionId)
  assert.equal([canceled.status, typeof canceled.canceled_at, ctx.fake.events.at(-1)?.type], ['canceled', 'number', 'customer.subscription.deleted'])
  assert.is((await rejects(ctx.stripe.subscriptions.cancel(subscriptionId))).statusCode, 400)
})

fakeStripe('a payment checkout: a succeeded payment intent carrying payment_intent_data metadata; a recurring price is refused', async (ctx) => {
  const customer = await ctx.stripe.customers.create({ email: 'owner@acme.example' })
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    customer: customer.id,
    line_items: [{ price: TOPUP, quantity: 2 }],
    success_url: 'https://app.example/ok',
    payment_intent_data: { metadata: { kind: 'topup' } },
  })
  assert.is(session.amount_total, 5000)
  assert.equal(ctx.fake.completeCheckout(session.id).map((e) => e.type), ['checkout.session.completed'])
  const read = await ctx.stripe.checkout.sessions.retrieve(session.id)
  const intent = await ctx.stripe.paymentIntents.retrieve(read.payment_intent as string)
  assert.equal([read.payment_status, intent.status, intent.amount_received, intent.metadata], ['paid', 'succeeded', 5000, { kind: 'topup' }])
  const error = await rejects(ctx.stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ price: STARTER, quantity: 1 }] }))
  assert.equal([error.statusCode, error.param], [400, 'line_items'])
})

fakeStripe('off-session payment intents: one succeeds; a declined one throws StripeCardError with Stripe\'s 402 body', async (ctx) => {
  const customer = await ctx.stripe.customers.create({ email: 'owner@acme.example' })
  const charge = { amount: 2500, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', off_session: true, confirm: true, metadata: { kind: 'overage' } }
  const paid = await ctx.stripe.paymentIntents.create(charge)
  assert.match(paid.id, /^pi_/)
  assert.equal([paid.status, paid.amount_received, paid.metadata], ['succeeded', 2500, { kind: 'overage' }])

  ctx.fake.declineNextPayment()
  const declined = await rejects(ctx.stripe.paymentIntents.create(charge))
  assert.instance(declined, Stripe.errors.StripeCardError)
  assert.equal([declined.statusCode, declined.type, declined.code, declined.decline_code], [402, 'StripeCardError', 'card_declined', 'generic_decline'])
  assert.equal([declined.payment_intent?.status, declined.payment_intent?.last_payment_error?.code], ['requires_payment_method', 'card_declined'])
  assert.is(ctx.fake.requests.length, 3, 'a decline is not retried')
  assert.equal(ctx.fake.events.filter((e) => e.type.startsWith('payment_intent.')).map((e) => e.type), ['payment_intent.succeeded', 'payment_intent.payment_failed'])

  const broke = await rejects(ctx.stripe.paymentIntents.create({ ...charge, payment_method: 'pm_card_chargeDeclinedInsufficientFunds' }))
  assert.equal([broke.statusCode, broke.decline_code], [402, 'insufficient_funds'])
})

fakeStripe('a scripted 429 is not retried by the SDK; with Stripe-Should-Retry: true it is, under the same Idempotency-Key', async (ctx) => {
  ctx.fake.script({ match: 'POST /v1/customers', status: 429 })
  const limited = await rejects(ctx.stripe.customers.create({ email: 'a@acme.example' }))
  assert.instance(limited, Stripe.errors.StripeRateLimitError)
  assert.is(ctx.fake.requests.length, 1)

  ctx.fake.script({ match: 'POST /v1/customers', status: 429, headers: { 'stripe-should-retry': 'true' } })
  const customer = await ctx.stripe.customers.create({ email: 'b@acme.example' })
  const [, first, second] = ctx.fake.requests
  assert.equal([ctx.fake.requests.length, customer.email], [3, 'b@acme.example'])
  assert.ok(first?.idempotencyKey && first.idempotencyKey === second?.idempotencyKey, 'the retry reuses the key')
})

fakeStripe('a 500 is retried by the SDK under the same key, and succeeds', async (ctx) => {
  ctx.fake.script({ match: /^POST \/v1\/checkout/, status: 500 })
  const session = await ctx.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: STARTER, quantity: 1 }], success_url: 'https://app.example/ok' })
  assert.is(session.status, 'open')
  assert.equal(ctx.fake.requests.map((r) => r.idempotencyKey), [ctx.fake.requests[0]?.idempotencyKey, ctx.fake.requests[0]?.idempotencyKey])
})

fakeStripe('work done before a dropped connection or a timeout is replayed to the retry, not done again', async (ctx) => {
  ctx.fake.script({ match: 'POST /v1/customers', dropAfterWork: true })
  const dropped = await ctx.stripe.customers.create({ email: 'a@acme.example' })
  assert.is(dropped.lastResponse.headers['idempotent-replayed'], 'true')

  const impatient = client(ctx.fake, 'sk_test_fake', 250)
  ctx.fake.script({ match: 'POST /v1/customers', delayMs: 500 })
  const late = await impatient.customers.create({ email: 'b@acme.example' })
  assert.is(late.lastResponse.headers['idempotent-replayed'], 'true')
  assert.equal(ctx.fake.store.all('customer').map((c) => c.id), [dropped.id, late.id], 'one customer per create')
  assert.is(ctx.fake.requests.length, 4)
})

fakeStripe('an Idempotency-Key reused with other parameters is refused with idempotency_error', async (ctx) => {
  const first = await ctx.stripe.customers.create({ email: 'a@acme.example' }, { idempotencyKey: 'signup-1' })
  const again = await ctx.stripe.customers.create({ email: 'a@acme.example' }, { idempotencyKey: 'signup-1' })
  assert.is(again.id, first.id)
  const error = await rejects(ctx.stripe.customers.create({ email: 'b@acme.example' }, { idempotencyKey: 'signup-1' }))
  assert.instance(error, Stripe.errors.StripeIdempotencyError)
})

fakeStripe('401 for a wrong secret key, shown redacted as Stripe does', async (ctx) => {
  const error = await rejects(client(ctx.fake, 'sk_test_wrong1234').customers.create({ email: 'a@acme.example' }))
  assert.instance(error, Stripe.errors.StripeAuthenticationError)
  assert.equal([error.statusCode, error.message], [401, 'Invalid API Key provided: sk_test_*****1234'])
})

fakeStripe('404 resource_missing for an unknown id; 400 for an unknown or missing parameter', async (ctx) => {
  const missing = await rejects(ctx.stripe.subscriptions.retrieve('sub_nope'))
  assert.instance(missing, Stripe.errors.StripeInvalidRequestError)
  assert.equal([missing.statusCode, missing.code, missing.param, missing.message], [404, 'resource_missing', 'id', "No such subscription: 'sub_nope'"])
  const unknown = await rejects(ctx.stripe.customers.create({ emial: 'a@acme.example' } as Stripe.CustomerCreateParams))
  assert.equal([unknown.statusCode, unknown.code, unknown.param], [400, 'parameter_unknown', 'emial'])
  const noQuantity = await rejects(ctx.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: STARTER }] }))
  assert.equal([noQuantity.statusCode, noQuantity.code, noQuantity.param], [400, 'parameter_missing', 'line_items[0][quantity]'])
})

fakeStripe('sign(event) is verified by constructEvent with the webhook secret and refused with another', async (ctx) => {
  const { events } = await subscribed(ctx)
  const paid = events.at(-1) as StripeEvent
  const { payload, header } = ctx.fake.sign(paid)
  assert.match(header, /^t=\d+,v1=[0-9a-f]{64}/)
  const verified = ctx.stripe.webhooks.constructEvent(payload, header, ctx.fake.webhookSecret)
  assert.equal([verified.id, verified.type, ctx.fake.webhookSecret], [paid.id, 'invoice.paid', 'whsec_test_fake'])
  assert.throws(() => ctx.stripe.webhooks.constructEvent(payload, header, 'whsec_someone_else'), (error: Error) => error instanceof Stripe.errors.StripeSignatureVerificationError)

  const own = await startFakeStripe({ webhookSecret: 'whsec_custom' })
  const signed = own.sign(own.event('customer.updated', { id: 'cus_1', object: 'customer' }))
  assert.is(ctx.stripe.webhooks.constructEvent(signed.payload, signed.header, 'whsec_custom').type, 'customer.updated')
  await own.close()
})

fakeStripe.run()
