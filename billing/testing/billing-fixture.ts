/** What the billing tests share: the api on a local Stripe, an account with its customer, signed deliveries. */
import Stripe from 'stripe'
import { buildApp } from '../../app.ts'
import { insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../../core/testing/accounts.ts'
import { graphqlRequest } from '../../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { eventually } from '../../leads/testing/lead-fixture.ts'
import { STRIPE_WEBHOOK_PATH } from '../index.ts'
import { startFakeStripe, type FakeStripe, type StripeEvent } from './fake-stripe.ts'

export interface BillingCtx {
  t: TestApp
  fake: FakeStripe
  stripe: Stripe
}

export const PRICES = { starter: 'price_starter', growth: 'price_growth', topup100: 'price_topup100' }

/** Answerline with billing on, against a fresh local Stripe whose catalog has two plans and a 100-minute pack. */
export async function openBillingApp(ctx: BillingCtx): Promise<void> {
  ctx.fake = await startFakeStripe()
  ctx.fake.addPrice({ id: PRICES.starter, unit_amount: 4900, currency: 'usd', recurring: { interval: 'month' } })
  ctx.fake.addPrice({ id: PRICES.growth, unit_amount: 14900, currency: 'usd', recurring: { interval: 'month' } })
  ctx.fake.addPrice({ id: PRICES.topup100, unit_amount: 2500, currency: 'usd' })
  ctx.t = await openTestApp(buildApp, {
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_WEBHOOK_SECRET: ctx.fake.webhookSecret,
    STRIPE_API_URL: `http://127.0.0.1:${ctx.fake.port}`,
    STRIPE_PLAN_PRICES: `starter=${PRICES.starter},growth=${PRICES.growth}`,
    STRIPE_TOPUP_PRICES: `100=${PRICES.topup100}`,
    JOBS_POLL_SECONDS: '0.5',
  })
  ctx.stripe = new Stripe('sk_test_fake', { host: '127.0.0.1', port: ctx.fake.port, protocol: 'http' })
}

export async function closeBillingApp(ctx: BillingCtx): Promise<void> {
  await ctx.t?.close()
  await ctx.fake?.close()
}

/** An organization on the free plan (30 minutes) with an owner, and its Stripe customer, as checkout would make them. */
export async function customerAccount(ctx: BillingCtx) {
  const db = ctx.t.test.db
  const org = await insertOrganization(db)
  const owner = await insertUser(db)
  await insertMembership(db, owner.id, org.id, 'owner')
  const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: 'Acme Dental', plan: 'free', subscription_status: 'none' }).returning('*')
  await db.transaction((trx) => trx('minute_ledger').insert({ billing_account_id: account.id, kind: 'allowance', bucket: 'included', minutes: 30 }))
  await db('billing_accounts').where({ id: account.id }).update({ included_minutes: 30 })
  const customer = await ctx.stripe.customers.create({ name: 'Acme Dental', metadata: { billingAccountId: account.id } })
  return { accountId: account.id as string, customerId: customer.id, ownerEmail: owner.email, businessId: org.businessIds[0] as string, organizationId: org.id }
}

export async function tokenFor(t: TestApp, email: string): Promise<string> {
  const login = await graphqlRequest(t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email, password: TEST_PASSWORD } })
  return login.data.logIn.tokens.accessToken as string
}

/** POSTs the event to the webhook as Stripe would, signed (or with the given body and header). */
export async function deliver(ctx: BillingCtx, event: StripeEvent, signed = ctx.fake.sign(event)) {
  return ctx.t.app.inject({ method: 'POST', url: STRIPE_WEBHOOK_PATH, headers: { 'content-type': 'application/json', 'stripe-signature': signed.header }, payload: signed.payload })
}

export const accountOf = (ctx: BillingCtx, id: string) => ctx.t.test.db('billing_accounts').where({ id }).first()
export const ledgerOf = (ctx: BillingCtx, id: string) => ctx.t.test.db('minute_ledger').where({ billing_account_id: id }).orderBy('created_at').select('kind', 'bucket', 'minutes', 'idempotency_key')
/** Until the webhook's jobs have applied these events. */
export const processed = (ctx: BillingCtx, ids: string[]) => eventually(async () => (await ctx.t.test.db('provider_events').where({ provider: 'stripe' }).whereIn('event_id', ids).whereNotNull('processed_at')).length === ids.length, 15_000)
