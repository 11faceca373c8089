/**
 * Closing an agency sets every paid subscription of its billing accounts (its own, and a client's
 * billed separately) to end at period end at Stripe, through a job; reopening it renews those
 * again, but not one the customer had already cancelled themselves. Stripe refusing is retried.
 */
import pino from 'pino'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../core/testing/rejects.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { closeBillingApp, customerAccount, openBillingApp, PRICES, tokenFor, type BillingCtx } from '../billing/testing/billing-fixture.ts'
import { toGlobalId as g } from '../graphql/index.ts'
import { eventually } from '../leads/testing/lead-fixture.ts'
import { syncClosureSubscriptions } from './closure-subscriptions.ts'

interface Ctx extends BillingCtx {
  orgId: string
  orgName: string
  owner: string
  /** The organization's own subscription, a separately billed client's, and one its customer already cancelled. */
  subscriptions: { central: string; client: string; cancelledByCustomer: string }
}

const closing = suite<Ctx>("privacy: a closed organization's subscriptions end at period end")

closing.before(async (ctx) => {
  await openBillingApp(ctx)
  const db = ctx.t.test.db
  const account = await customerAccount(ctx)
  ctx.orgId = account.organizationId
  ctx.orgName = (await db('organizations').where({ id: ctx.orgId }).first('name')).name
  ctx.owner = await tokenFor(ctx.t, account.ownerEmail)
  const [second] = await db('businesses').insert({ organization_id: ctx.orgId, name: 'Second client' }).returning('id')
  const subscribe = async (accountId: string, customer: string) => {
    const session = await ctx.stripe.checkout.sessions.create({ mode: 'subscription', customer, line_items: [{ price: PRICES.starter, quantity: 1 }], success_url: 'https://app.example/ok', cancel_url: 'https://app.example/no' })
    ctx.fake.completeCheckout(session.id)
    const subscription = ctx.fake.store.get('checkout.session', session.id)?.subscription as string
    await db('billing_accounts').where({ id: accountId }).update({ stripe_customer_id: customer, stripe_subscription_id: subscription, subscription_status: 'active', plan: 'starter' })
    return subscription
  }
  const ownAccount = async (businessId: string) => {
    const [row] = await db('billing_accounts').insert({ organization_id: ctx.orgId, business_id: businessId, display_name: 'Client' }).returning('id')
    return subscribe(row.id, (await ctx.stripe.customers.create({ name: 'Client' })).id)
  }
  ctx.subscriptions = { central: await subscribe(account.accountId, account.customerId), client: await ownAccount(account.businessId), cancelledByCustomer: await ownAccount(second.id) }
  ctx.fake.updateSubscription(ctx.subscriptions.cancelledByCustomer, { cancel_at_period_end: true })
})
closing.after((ctx) => closeBillingApp(ctx))

const ending = (ctx: Ctx) => Object.fromEntries(Object.entries(ctx.subscriptions).map(([name, id]) => [name, ctx.fake.store.get('subscription', id)?.cancel_at_period_end]))
const mutate = (ctx: Ctx, query: string, i: Record<string, unknown>) => graphqlRequest(ctx.t.app, query, { i: { organizationId: g('Organization', ctx.orgId), ...i } }, { token: ctx.owner })

closing('closing ends every subscription of the organization at period end, and reopening renews those it ended', async (ctx) => {
  assert.equal(ending(ctx), { central: false, client: false, cancelledByCustomer: true })
  const closed = await mutate(ctx, 'mutation($i: CloseOrganizationInput!) { closeOrganization(input: $i) { userErrors { code } } }', { confirmName: ctx.orgName })
  assert.equal(closed.data.closeOrganization.userErrors, [])
  const audited = async (action: string) => (await ctx.t.test.db('audit_log').where({ action, organization_id: ctx.orgId })).length
  // The job audits each change just after Stripe took it: waiting for the entries waits for the job.
  await eventually(async () => (await audited('billing.subscription_ending')) === 2)
  assert.equal(ending(ctx), { central: true, client: true, cancelledByCustomer: true })
  const subscription = ctx.fake.store.get('subscription', ctx.subscriptions.central)
  assert.is(subscription?.status, 'active', 'paid for until the end of its period')

  const reopened = await mutate(ctx, 'mutation($i: ReopenOrganizationInput!) { reopenOrganization(input: $i) { userErrors { code } } }', {})
  assert.equal(reopened.data.reopenOrganization.userErrors, [])
  await eventually(async () => (await audited('billing.subscription_renewing')) === 2)
  assert.equal(ending(ctx), { central: false, client: false, cancelledByCustomer: true }, "the customer's own cancellation stands")
  assert.equal(ctx.fake.store.get('subscription', ctx.subscriptions.central)?.metadata, {}, 'the closure mark is gone')
})

closing('Stripe refusing fails the sync, to be retried; the next attempt converges and a repeated one changes nothing', async (ctx) => {
  const deps = { db: ctx.t.test.db, stripe: ctx.stripe, log: pino({ level: 'silent' }) }
  await ctx.t.test.db('organizations').where({ id: ctx.orgId }).update({ status: 'closed', closed_at: new Date(), purge_after: new Date(Date.now() + 86_400_000) })
  ctx.fake.script({ match: 'POST /v1/subscriptions/', status: 400 })
  await rejects(syncClosureSubscriptions(deps, ctx.orgId))
  assert.is(await syncClosureSubscriptions(deps, ctx.orgId), 2)
  assert.equal(ending(ctx), { central: true, client: true, cancelledByCustomer: true })
  assert.is(await syncClosureSubscriptions(deps, ctx.orgId), 0)
  assert.is(await syncClosureSubscriptions({ ...deps, stripe: null }, ctx.orgId), 0, 'billing off: nothing to do')
})

closing.run()
