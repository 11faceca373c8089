/**
 * Stripe billing end to end: the api's webhook (signature, dedupe), the worker's job applying
 * events from Stripe's current state, against a local server speaking the Stripe API through the
 * official SDK. Events are signed with the SDK's own test header helper.
 */
import Stripe from 'stripe'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { insertMembership, insertUser } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { toGlobalId } from '../graphql/relay/global-id.ts'
import { eventually } from '../leads/testing/lead-fixture.ts'
import { accountOf, closeBillingApp, customerAccount, deliver, ledgerOf, openBillingApp, PRICES, processed, tokenFor, type BillingCtx } from './testing/billing-fixture.ts'
import type { StripeEvent } from './testing/fake-stripe.ts'

type Ctx = BillingCtx
const billing = suite<Ctx>('billing: Stripe webhooks and the account they change')
billing.before(openBillingApp)
billing.after(closeBillingApp)


async function subscribe(ctx: Ctx, customerId: string, accountId: string, price = PRICES.starter) {
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customerId,
    line_items: [{ price, quantity: 1 }],
    success_url: 'https://app.example/billing?done=1',
    cancel_url: 'https://app.example/billing',
    metadata: { billingAccountId: accountId },
    subscription_data: { metadata: { billingAccountId: accountId } },
  })
  return ctx.fake.completeCheckout(session.id)
}

billing('a bad signature is refused with 400 and nothing is written', async (ctx) => {
  const { customerId } = await customerAccount(ctx)
  const event = ctx.fake.event('customer.updated', { id: customerId, object: 'customer' })
  const forged = new Stripe('sk_test_other').webhooks.generateTestHeaderString({ payload: JSON.stringify(event), secret: 'whsec_not_ours' })
  const responses = [
    await deliver(ctx, event, { payload: JSON.stringify(event), header: forged }),
    await deliver(ctx, event, { payload: JSON.stringify(event), header: '' }),
    // Signed, then altered: the body no longer matches.
    await deliver(ctx, event, { ...ctx.fake.sign(event), payload: JSON.stringify({ ...event, type: 'invoice.paid' }) }),
  ]
  assert.equal(responses.map((r) => r.statusCode), [400, 400, 400])
  assert.is(Number((await ctx.t.test.db('provider_events').where({ provider: 'stripe', event_id: event.id }).count({ n: '*' }).first())?.n), 0)
})

billing('a subscription checkout: the plan, its period, its invoice and its included minutes (the free ones expire)', async (ctx) => {
  const { accountId, customerId } = await customerAccount(ctx)
  const events = await subscribe(ctx, customerId, accountId)
  for (const event of events) assert.is((await deliver(ctx, event)).statusCode, 200)
  await processed(ctx, events.map((e) => e.id))
  const account = await accountOf(ctx, accountId)
  assert.equal([account.plan, account.subscription_status, account.stripe_customer_id], ['starter', 'active', customerId])
  assert.match(account.stripe_subscription_id, /^sub_/)
  assert.ok(account.current_period_end > account.current_period_start)
  assert.is(account.included_minutes, 300)
  const entries = await ledgerOf(ctx, accountId)
  assert.equal(entries.slice(-2).map((e: { kind: string; minutes: number }) => `${e.kind} ${e.minutes}`).sort(), ['allowance 300', 'expiry -30'], 'written together, in one transaction')
  const invoices = await ctx.t.test.db('invoices').where({ billing_account_id: accountId })
  assert.equal(invoices.map((i: { status: string; amount_paid: string }) => [i.status, Number(i.amount_paid)]), [['paid', 4900]])
})

billing('the same event delivered twice has one effect', async (ctx) => {
  const { accountId, customerId } = await customerAccount(ctx)
  const session = await ctx.stripe.checkout.sessions.create({
    mode: 'payment',
    customer: customerId,
    line_items: [{ price: PRICES.topup100, quantity: 1 }],
    success_url: 'https://app.example/billing?done=1',
    cancel_url: 'https://app.example/billing',
    metadata: { billingAccountId: accountId, kind: 'topup', minutes: '100' },
  })
  const [completed] = ctx.fake.completeCheckout(session.id)
  assert.ok(completed)
  assert.equal([(await deliver(ctx, completed)).statusCode, (await deliver(ctx, completed)).statusCode], [200, 200])
  await processed(ctx, [completed.id])
  assert.is((await deliver(ctx, completed)).statusCode, 200, 'a late repeat is acknowledged too')
  await new Promise((resolve) => setTimeout(resolve, 1200))
  const topups = (await ledgerOf(ctx, accountId)).filter((e: { kind: string }) => e.kind === 'topup')
  assert.equal(topups.map((e: { minutes: number }) => e.minutes), [100])
  assert.is((await accountOf(ctx, accountId)).topup_minutes, 100)
  assert.is(Number((await ctx.t.test.db('provider_events').where({ provider: 'stripe', event_id: completed.id }).count({ n: '*' }).first())?.n), 1)
})

billing('subscription.updated arriving before subscription.created: the final state is the subscription as it is now', async (ctx) => {
  const { accountId, customerId } = await customerAccount(ctx)
  const events = await subscribe(ctx, customerId, accountId)
  const created = events.find((e) => e.type === 'customer.subscription.created') as StripeEvent
  const subscriptionId = String((created.data.object as { id: string }).id)
  const upgraded = ctx.fake.updateSubscription(subscriptionId, { price: PRICES.growth })
  // Stripe sends the upgrade first and the creation (a snapshot of the starter plan) after it.
  assert.is((await deliver(ctx, upgraded)).statusCode, 200)
  await processed(ctx, [upgraded.id])
  assert.is((await deliver(ctx, created)).statusCode, 200)
  await processed(ctx, [created.id])
  const account = await accountOf(ctx, accountId)
  assert.equal([account.plan, account.subscription_status, account.stripe_subscription_id], ['growth', 'active', subscriptionId])
})

billing('a failed renewal: counted, a grace period, the owners told; the payment that follows clears it and brings the new period', async (ctx) => {
  const { accountId, customerId, ownerEmail } = await customerAccount(ctx)
  const first = await subscribe(ctx, customerId, accountId)
  for (const event of first) await deliver(ctx, event)
  await processed(ctx, first.map((e) => e.id))
  const subscriptionId = (await accountOf(ctx, accountId)).stripe_subscription_id

  const failed = ctx.fake.renewSubscription(subscriptionId, { pay: false })
  for (const event of failed) assert.is((await deliver(ctx, event)).statusCode, 200)
  await processed(ctx, failed.map((e) => e.id))
  const pastDue = await accountOf(ctx, accountId)
  assert.equal([pastDue.subscription_status, pastDue.failed_payment_count], ['past_due', 1])
  const graceDays = (new Date(pastDue.grace_until).getTime() - Date.now()) / 86_400_000
  assert.ok(graceDays > 6.9 && graceDays <= 7, `grace of 7 days, got ${graceDays}`)
  const mail = await eventually(async () => ctx.t.app.mailer.outbox.find((m) => m.to === ownerEmail && /Payment failed/.test(m.subject)))
  assert.match(mail.text, /\$49\.00/)

  const paid = ctx.fake.renewSubscription(subscriptionId, { pay: true })
  for (const event of paid) await deliver(ctx, event)
  await processed(ctx, paid.map((e) => e.id))
  const recovered = await accountOf(ctx, accountId)
  assert.equal([recovered.subscription_status, recovered.failed_payment_count, recovered.grace_until], ['active', 0, null])
  const allowances = (await ledgerOf(ctx, accountId)).filter((e: { kind: string }) => e.kind === 'allowance')
  assert.is(allowances.length, 3, 'the free allowance, the first period and the renewed one')
})

billing('Stripe failing while an event is applied: a 500 is retried by the SDK; a 429 fails the job, kept with the event, and its retry applies it', async (ctx) => {
  const { accountId, customerId } = await customerAccount(ctx)
  const events = await subscribe(ctx, customerId, accountId)
  const created = events.find((e) => e.type === 'customer.subscription.created') as StripeEvent
  ctx.fake.script({ match: 'GET /v1/subscriptions/', status: 500 })
  await deliver(ctx, created)
  await processed(ctx, [created.id])
  assert.is((await accountOf(ctx, accountId)).plan, 'starter', 'applied after the SDK retried the 500')

  const upgraded = ctx.fake.updateSubscription(String((created.data.object as { id: string }).id), { price: PRICES.growth })
  ctx.fake.script({ match: 'GET /v1/subscriptions/', status: 429 })
  await deliver(ctx, upgraded)
  const failed: { processed_at: Date | null } = await eventually(async () => await ctx.t.test.db('provider_events').where({ provider: 'stripe', event_id: upgraded.id }).whereNotNull('last_error').first('last_error', 'processed_at'))
  assert.is(failed.processed_at, null)
  assert.is((await accountOf(ctx, accountId)).plan, 'starter', 'nothing changed by the failed attempt')
  // The queue retries it after its backoff (10 s for this queue).
  await eventually(async () => (await accountOf(ctx, accountId)).plan === 'growth', 40_000)
  assert.is((await ctx.t.test.db('provider_events').where({ provider: 'stripe', event_id: upgraded.id }).first('last_error')).last_error, null)
})

billing('an event about a customer no account has is acknowledged, applied to nothing', async (ctx) => {
  const stranger = await ctx.stripe.customers.create({ name: 'Nobody here' })
  const event = ctx.fake.event('customer.subscription.updated', { id: 'sub_unknown1', object: 'subscription', customer: stranger.id, status: 'active', metadata: {} })
  assert.is((await deliver(ctx, event)).statusCode, 200)
  await processed(ctx, [event.id])
})

/** A business whose organization pays through the account, with an owner (billing:manage) and a member (billing:read only). */
async function payingBusiness(ctx: Ctx) {
  const { accountId, ownerEmail } = await customerAccount(ctx)
  const account = await accountOf(ctx, accountId)
  const businessId = (await ctx.t.test.db('businesses').where({ organization_id: account.organization_id }).first('id')).id
  const member = await insertUser(ctx.t.test.db)
  await insertMembership(ctx.t.test.db, member.id, account.organization_id, 'member')
  return { accountId, businessId: toGlobalId('Business', businessId), owner: await tokenFor(ctx.t, ownerEmail), member: await tokenFor(ctx.t, member.email) }
}

const START = 'mutation($i: StartCheckoutInput!) { startCheckout(input: $i) { checkoutUrl userErrors { field code } } }'
const USAGE = `query($b: ID!) { node(id: $b) { ... on Business { usage { plan includedMinutesLeft topupMinutesLeft topupPacks failedPayments graceUntil
  ledger(first: 10) { nodes { kind bucket minutes } } invoices(first: 5) { nodes { status amountPaid currency } } } } } }`
const urls = { successUrl: 'https://crm.example/billing?paid=1', cancelUrl: 'https://crm.example/billing' }

billing('through GraphQL: an owner buys a top-up pack; once Stripe confirms it, the minutes are there', async (ctx) => {
  const { accountId, businessId, owner } = await payingBusiness(ctx)
  const started = (await graphqlRequest(ctx.t.app, START, { i: { businessId, topupMinutes: 100, ...urls } }, { token: owner })).data.startCheckout
  assert.equal(started.userErrors, [])
  assert.match(started.checkoutUrl, /^https:\/\/checkout\.stripe\.test\//)
  const sessionId = started.checkoutUrl.split('/').at(-1)
  const events = ctx.fake.completeCheckout(sessionId)
  for (const event of events) await deliver(ctx, event)
  await processed(ctx, events.map((e) => e.id))
  const usage = (await graphqlRequest(ctx.t.app, USAGE, { b: businessId }, { token: owner })).data.node.usage
  assert.equal([usage.plan, usage.topupMinutesLeft, usage.topupPacks, usage.failedPayments, usage.graceUntil], ['FREE', 100, [100], 0, null])
  assert.equal(usage.ledger.nodes[0], { kind: 'TOPUP', bucket: 'TOPUP', minutes: 100 })
  assert.is((await accountOf(ctx, accountId)).stripe_customer_id !== null, true)
})

billing('through GraphQL: a plan subscription, then the portal; the invoices and the ledger show what happened', async (ctx) => {
  const { businessId, owner } = await payingBusiness(ctx)
  const started = (await graphqlRequest(ctx.t.app, START, { i: { businessId, plan: 'STARTER', ...urls } }, { token: owner })).data.startCheckout
  const events = ctx.fake.completeCheckout(started.checkoutUrl.split('/').at(-1))
  for (const event of events) await deliver(ctx, event)
  await processed(ctx, events.map((e) => e.id))
  const usage = (await graphqlRequest(ctx.t.app, USAGE, { b: businessId }, { token: owner })).data.node.usage
  assert.equal([usage.plan, usage.includedMinutesLeft], ['STARTER', 300])
  assert.equal(usage.invoices.nodes, [{ status: 'PAID', amountPaid: 4900, currency: 'usd' }])
  // One transaction wrote both, so they share a timestamp and either may be listed first.
  assert.equal(usage.ledger.nodes.slice(0, 2).map((e: { kind: string; minutes: number }) => `${e.kind} ${e.minutes}`).sort(), ['ALLOWANCE 300', 'EXPIRY -30'])
  const again = (await graphqlRequest(ctx.t.app, START, { i: { businessId, plan: 'GROWTH', ...urls } }, { token: owner })).data.startCheckout
  assert.equal(again.userErrors, [{ field: ['input', 'plan'], code: 'NOT_ALLOWED' }], 'a second subscription goes through the portal')
  const portal = await graphqlRequest(ctx.t.app, 'mutation($i: OpenBillingPortalInput!) { openBillingPortal(input: $i) { portalUrl userErrors { code } } }', { i: { businessId, returnUrl: 'https://crm.example/billing' } }, { token: owner })
  assert.match(portal.data.openBillingPortal.portalUrl, /^https:\/\//)
})

billing('checkout refuses bad input with userErrors and asks Stripe nothing; a member without billing:manage is refused', async (ctx) => {
  const { businessId, owner, member } = await payingBusiness(ctx)
  const requestsBefore = ctx.fake.requests.length
  const errorsOf = async (input: Record<string, unknown>) => (await graphqlRequest(ctx.t.app, START, { i: { businessId, ...urls, ...input } }, { token: owner })).data.startCheckout.userErrors
  assert.equal(await errorsOf({}), [{ field: ['input', 'plan'], code: 'INVALID' }], 'neither a plan nor a pack')
  assert.equal(await errorsOf({ plan: 'STARTER', topupMinutes: 100 }), [{ field: ['input', 'plan'], code: 'INVALID' }], 'both')
  assert.equal(await errorsOf({ topupMinutes: 7 }), [{ field: ['input', 'topupMinutes'], code: 'INVALID' }])
  assert.equal(await errorsOf({ plan: 'PRO' }), [{ field: ['input', 'plan'], code: 'NOT_ALLOWED' }], 'a plan with no price in the catalog')
  assert.equal(await errorsOf({ topupMinutes: 100, successUrl: 'javascript:alert(1)' }), [{ field: ['input', 'successUrl'], code: 'INVALID' }])
  assert.is(ctx.fake.requests.length, requestsBefore, 'Stripe was not asked')
  const refused = await graphqlRequest(ctx.t.app, START, { i: { businessId, topupMinutes: 100, ...urls } }, { token: member })
  assert.equal(errorCodes(refused), ['FORBIDDEN'])
})

billing.run()
