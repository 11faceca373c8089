/**
 * Auto top-up: a balance below the account's threshold buys its pack with the saved payment
 * method, off-session, at most once per period for a threshold; declines are told once; a payment
 * whose buyer died is credited from Stripe's payment_intent.succeeded.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { appendLedger, JOBS_SCHEMA, type JobData, type QueueName } from '../core/index.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { toGlobalId } from '../graphql/relay/global-id.ts'
import { eventually } from '../leads/testing/lead-fixture.ts'
import { accountOf, closeBillingApp, customerAccount, deliver, ledgerOf, openBillingApp, processed, tokenFor, type BillingCtx } from './testing/billing-fixture.ts'

const auto = suite<BillingCtx>('billing: auto top-up')
auto.before(openBillingApp)
auto.after(closeBillingApp)

const UPDATE = 'mutation($i: UpdateAutoTopupInput!) { updateAutoTopup(input: $i) { usage { autoTopup { thresholdMinutes packMinutes } } userErrors { field code } } }'

/** Runs one job through the real queue and waits until the worker is done with it. */
async function runJob<Q extends QueueName>(ctx: BillingCtx, name: Q, data: JobData[Q]): Promise<void> {
  const options = name === 'auto-topup' ? { singletonKey: (data as { billingAccountId: string }).billingAccountId } : {}
  // The minute's scheduled sweep may hold the account's one slot for a moment (the queues are stately).
  const id = await eventually(() => ctx.t.app.jobs.enqueue(name, data, options).then((queued) => queued ?? undefined))
  await eventually(async () => ['completed', 'failed'].includes((await ctx.t.test.db(`${JOBS_SCHEMA}.job`).where({ id }).first('state'))?.state))
}

/** An account whose customer has a saved card, with auto top-up set by its owner through GraphQL. */
async function withAutoTopup(ctx: BillingCtx, paymentMethod = 'pm_card_visa', thresholdMinutes = 50) {
  const customer = await customerAccount(ctx)
  await ctx.stripe.customers.update(customer.customerId, { invoice_settings: { default_payment_method: paymentMethod } })
  await ctx.t.test.db('billing_accounts').where({ id: customer.accountId }).update({ stripe_customer_id: customer.customerId })
  const owner = await tokenFor(ctx.t, customer.ownerEmail)
  const businessId = toGlobalId('Business', customer.businessId)
  const set = await graphqlRequest(ctx.t.app, UPDATE, { i: { businessId, thresholdMinutes, packMinutes: 100 } }, { token: owner })
  assert.equal(set.data.updateAutoTopup, { usage: { autoTopup: { thresholdMinutes, packMinutes: 100 } }, userErrors: [] })
  return { ...customer, owner, businessGlobalId: businessId }
}

const topupsOf = async (ctx: BillingCtx, accountId: string) => (await ledgerOf(ctx, accountId)).filter((e: { kind: string }) => e.kind === 'topup').map((e: { minutes: number }) => e.minutes)
const intentsFor = (ctx: BillingCtx, customerId: string) => ctx.fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.body.customer === customerId)

auto('below the threshold, the sweep buys the pack off-session, once per period; raising the threshold allows another', async (ctx) => {
  const { accountId, customerId, ownerEmail, owner, businessGlobalId } = await withAutoTopup(ctx)
  await runJob(ctx, 'auto-topup-sweep', {})
  await eventually(async () => (await topupsOf(ctx, accountId)).length === 1)
  assert.equal(await topupsOf(ctx, accountId), [100])
  const [intent] = intentsFor(ctx, customerId)
  assert.equal([intent?.body.off_session, intent?.body.confirm, intent?.body.amount, intent?.body.payment_method], ['true', 'true', '2500', 'pm_card_visa'])
  const receipt = await eventually(async () => ctx.t.app.mailer.outbox.find((m) => m.to === ownerEmail && /100 minutes added/.test(m.subject)))
  assert.match(receipt.text, /\$25\.00/)

  // Spent down again in the same period: the account already had its top-up for this threshold.
  await ctx.t.test.db.transaction((trx) => appendLedger(trx, accountId, [{ kind: 'adjustment', bucket: 'topup', minutes: -100, note: 'spent' }, { kind: 'adjustment', bucket: 'included', minutes: -20, note: 'spent' }]))
  await runJob(ctx, 'auto-topup', { billingAccountId: accountId })
  assert.equal(await topupsOf(ctx, accountId), [100])
  assert.is(intentsFor(ctx, customerId).length, 1, 'Stripe was not asked again')

  const raised = await graphqlRequest(ctx.t.app, UPDATE, { i: { businessId: businessGlobalId, thresholdMinutes: 60, packMinutes: 100 } }, { token: owner })
  assert.equal(raised.data.updateAutoTopup.userErrors, [])
  await runJob(ctx, 'auto-topup', { billingAccountId: accountId })
  assert.equal(await topupsOf(ctx, accountId), [100, 100])
  assert.is((await accountOf(ctx, accountId)).topup_minutes, 100)
})

auto('a closed organization buys nothing during the weeks before its purge', async (ctx) => {
  const { accountId, customerId, organizationId } = await withAutoTopup(ctx)
  await ctx.t.test.db('organizations').where({ id: organizationId }).update({ status: 'closed', closed_at: new Date(), purge_after: new Date(Date.now() + 30 * 86_400_000) })
  await runJob(ctx, 'auto-topup-sweep', {})
  await runJob(ctx, 'auto-topup', { billingAccountId: accountId })
  assert.equal(await topupsOf(ctx, accountId), [])
  assert.is(intentsFor(ctx, customerId).length, 0, 'no card was charged')
})

auto('a declined card: no minutes, the owners told once, and the card is not charged again on the next sweep', async (ctx) => {
  const { accountId, customerId, ownerEmail } = await withAutoTopup(ctx, 'pm_card_chargeDeclinedInsufficientFunds')
  await runJob(ctx, 'auto-topup', { billingAccountId: accountId })
  await runJob(ctx, 'auto-topup', { billingAccountId: accountId })
  await runJob(ctx, 'auto-topup-sweep', {})
  await runJob(ctx, 'auto-topup', { billingAccountId: accountId })
  assert.equal(await topupsOf(ctx, accountId), [])
  assert.is(intentsFor(ctx, customerId).length, 1)
  const told = ctx.t.app.mailer.outbox.filter((m) => m.to === ownerEmail && /Auto top-up .* did not go through/.test(m.subject))
  assert.is(told.length, 1)
  assert.match(told[0]?.text ?? '', /insufficient funds/)
})

auto('a payment whose buyer died before crediting it is credited once from payment_intent.succeeded', async (ctx) => {
  const { accountId, customerId } = await withAutoTopup(ctx)
  const account = await accountOf(ctx, accountId)
  const key = `auto-topup:${accountId}:no-period:${account.auto_topup_threshold_minutes}`
  // What the worker sent before it died: Stripe charged, the ledger never heard of it.
  await ctx.t.test.db('billing_accounts').where({ id: accountId }).update({ auto_topup_attempt_key: key })
  await ctx.stripe.paymentIntents.create(
    { amount: 2500, currency: 'usd', customer: customerId, payment_method: 'pm_card_visa', off_session: true, confirm: true, metadata: { billingAccountId: accountId, kind: 'auto_topup', minutes: '100', ledgerKey: key } },
    { idempotencyKey: key },
  )
  const succeeded = ctx.fake.events.filter((e) => e.type === 'payment_intent.succeeded').at(-1)
  assert.ok(succeeded)
  await deliver(ctx, succeeded)
  await deliver(ctx, succeeded)
  await processed(ctx, [succeeded.id])
  assert.equal(await topupsOf(ctx, accountId), [100])
  // The retried job finds the minutes there and asks Stripe nothing.
  await runJob(ctx, 'auto-topup', { billingAccountId: accountId })
  assert.equal(await topupsOf(ctx, accountId), [100])
  assert.is(intentsFor(ctx, customerId).length, 1)
})

auto('the setting is validated: both or neither, a pack on sale, a saved customer first', async (ctx) => {
  const { owner, businessGlobalId } = await withAutoTopup(ctx)
  const errorsOf = async (input: Record<string, unknown>) => (await graphqlRequest(ctx.t.app, UPDATE, { i: { businessId: businessGlobalId, ...input } }, { token: owner })).data.updateAutoTopup.userErrors
  assert.equal(await errorsOf({ thresholdMinutes: 10 }), [{ field: ['input', 'packMinutes'], code: 'REQUIRED' }])
  assert.equal(await errorsOf({ thresholdMinutes: 0, packMinutes: 100 }), [{ field: ['input', 'thresholdMinutes'], code: 'OUT_OF_RANGE' }])
  assert.equal(await errorsOf({ thresholdMinutes: 10, packMinutes: 7 }), [{ field: ['input', 'packMinutes'], code: 'INVALID' }])
  const off = await graphqlRequest(ctx.t.app, UPDATE, { i: { businessId: businessGlobalId, thresholdMinutes: null, packMinutes: null } }, { token: owner })
  assert.equal(off.data.updateAutoTopup, { usage: { autoTopup: null }, userErrors: [] })
})

auto.run()
