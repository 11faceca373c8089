import type { FastifyBaseLogger } from 'fastify'
import type Stripe from 'stripe'
import { creditTopup } from './auto-topup.ts'
import { formatAmount, mailToBillingContacts, sendAll, type PendingMail } from './billing-mail.ts'
import { appendLedger, includedMinutesOf, PLANS, recordAudit, type Config, type JobRun, type Knex, type Mailer, type PlanKey } from '../core/index.ts'

type Row = Record<string, any>

export interface StripeEventDeps {
  db: Knex
  stripe: Stripe
  mailer: Mailer
  billing: Config['billing']
  log: FastifyBaseLogger
}

// Subscriptions in these states are over: the account goes back to the free plan.
const ENDED = new Set(['canceled', 'incomplete_expired'])
// The invoices that open a paid period, whose payment brings the period's included minutes.
const PERIOD_INVOICES = new Set(['subscription_create', 'subscription_cycle'])

/**
 * Applies one stored Stripe event. Events repeat and arrive out of order, so none is applied from
 * its own snapshot: the subscription, invoice or checkout session is fetched from Stripe as it is
 * now, and the account is set from that. Events of one customer are applied one at a time (an
 * advisory lock per customer, held while Stripe is asked, without locking the account row that
 * calls reserve minutes on), and every ledger entry has an idempotency key.
 */
export function stripeEventHandler(deps: StripeEventDeps): (job: JobRun<{ eventId: string }>) => Promise<void> {
  return async (job) => {
    const stored = await deps.db('provider_events').where({ provider: 'stripe', event_id: job.data.eventId }).first('id', 'payload', 'processed_at')
    if (!stored || stored.processed_at) return
    let mail: PendingMail[]
    try {
      mail = await applyStripeEvent(deps, stored.payload as Stripe.Event)
    } catch (error) {
      // Kept with the event for operators; the job is retried with backoff.
      await deps.db('provider_events').where({ id: stored.id }).update({ attempts: job.retryCount + 1, last_error: String(error instanceof Error ? error.message : error).slice(0, 2000) })
      throw error
    }
    await deps.db('provider_events').where({ id: stored.id }).update({ processed_at: new Date(), attempts: job.retryCount + 1, last_error: null })
    await sendAll(mail, (error) => deps.log.warn({ err: error }, 'billing email not sent'))
  }
}

async function applyStripeEvent(deps: StripeEventDeps, event: Stripe.Event): Promise<PendingMail[]> {
  const object = event.data.object as unknown as Row
  const customerId = typeof object.customer === 'string' ? object.customer : object.customer?.id
  if (typeof customerId !== 'string') return []
  const mail: PendingMail[] = []
  await deps.db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`stripe-customer:${customerId}`])
    const account = await accountFor(trx, customerId, object.metadata?.billingAccountId ?? object.client_reference_id)
    if (!account) {
      deps.log.warn({ stripeEvent: event.id, type: event.type }, 'stripe event for a customer no billing account has')
      return
    }
    switch (event.type) {
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
      case 'customer.subscription.paused':
      case 'customer.subscription.resumed':
        await syncSubscription(trx, deps, account, String(object.id), mail)
        return
      case 'payment_intent.succeeded':
        await autoTopupPaid(trx, deps, account, String(object.id))
        return
      case 'checkout.session.completed':
        await completeCheckout(trx, deps, account, String(object.id), mail)
        return
      case 'invoice.finalized':
      case 'invoice.paid':
      case 'invoice.payment_failed':
      case 'invoice.voided':
      case 'invoice.marked_uncollectible': {
        const invoice = await deps.stripe.invoices.retrieve(String(object.id))
        await saveInvoice(trx, account.id, invoice)
        if (event.type === 'invoice.paid' && invoice.status === 'paid') await invoicePaid(trx, deps, account, invoice, mail)
        if (event.type === 'invoice.payment_failed' && invoice.status !== 'paid') mail.push(...(await paymentFailed(trx, deps, account, invoice)))
        return
      }
    }
  })
  return mail
}

/** The account a Stripe customer belongs to; a checkout names its account in metadata, which links the customer on first sight. */
async function accountFor(trx: Knex.Transaction, customerId: string, accountId: unknown): Promise<Row | undefined> {
  const linked = await trx('billing_accounts').where({ stripe_customer_id: customerId }).first()
  if (linked || typeof accountId !== 'string' || !/^[0-9a-f-]{36}$/i.test(accountId)) return linked
  const [account] = await trx('billing_accounts').where({ id: accountId }).whereNull('stripe_customer_id').update({ stripe_customer_id: customerId }).returning('*')
  return account
}

function subscriptionIdOf(invoice: Stripe.Invoice): string | null {
  const legacy = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription
  const parent = invoice.parent?.subscription_details?.subscription ?? legacy ?? null
  return typeof parent === 'string' ? parent : (parent?.id ?? null)
}

/** The plan a Stripe price sells, from the configured catalog. */
function planOfPrice(billing: Config['billing'], priceId: string | undefined): PlanKey | null {
  const found = Object.entries(billing.planPrices).find(([, price]) => price === priceId)
  return found ? (found[0] as PlanKey) : null
}

/** Sets the account from the subscription as Stripe has it now; a new plan is announced. Returns the updated account. */
async function syncSubscription(trx: Knex.Transaction, deps: StripeEventDeps, account: Row, subscriptionId: string, mail: PendingMail[]): Promise<Row> {
  const subscription = await deps.stripe.subscriptions.retrieve(subscriptionId)
  // News of an older subscription the account has moved on from changes nothing.
  if (account.stripe_subscription_id && account.stripe_subscription_id !== subscription.id && ENDED.has(subscription.status)) return account
  const item = subscription.items.data[0]
  const legacy = subscription as unknown as { current_period_start?: number; current_period_end?: number }
  const start = item?.current_period_start ?? legacy.current_period_start
  const end = item?.current_period_end ?? legacy.current_period_end
  const ended = ENDED.has(subscription.status)
  const plan = ended ? 'free' : (planOfPrice(deps.billing, item?.price.id) ?? account.plan)
  if (!ended && !planOfPrice(deps.billing, item?.price.id)) deps.log.warn({ price: item?.price.id }, 'subscription price is not in STRIPE_PLAN_PRICES; the plan is left as it was')
  const [updated] = await trx('billing_accounts')
    .where({ id: account.id })
    .update({
      plan,
      subscription_status: subscription.status,
      stripe_subscription_id: subscription.id,
      current_period_start: start ? new Date(start * 1000) : null,
      current_period_end: start && end ? new Date(end * 1000) : null,
    })
    .returning('*')
  if (updated.plan !== account.plan || updated.subscription_status !== account.subscription_status) {
    await recordAudit(trx, {
      action: 'billing.subscription_changed',
      actor: { type: 'system', id: null },
      organizationId: account.organization_id,
      businessId: account.business_id,
      target: { type: 'billing_account', id: account.id },
      metadata: { from: { plan: account.plan, status: account.subscription_status }, to: { plan: updated.plan, status: updated.subscription_status } },
    })
  }
  if (updated.plan !== account.plan) {
    const template = { kind: 'plan_changed' as const, accountName: account.display_name, from: PLANS[account.plan as PlanKey].name, to: PLANS[updated.plan as PlanKey].name, includedMinutes: includedMinutesOf(updated) }
    mail.push(...(await mailToBillingContacts(trx, deps.mailer, account.organization_id, template)))
  }
  return updated
}

async function saveInvoice(trx: Knex.Transaction, accountId: string, invoice: Stripe.Invoice): Promise<void> {
  const seconds = (value: number | null | undefined) => (value ? new Date(value * 1000) : null)
  const line = invoice.lines?.data[0]
  const row = {
    billing_account_id: accountId,
    stripe_invoice_id: invoice.id,
    number: invoice.number ?? null,
    status: invoice.status ?? 'draft',
    currency: invoice.currency,
    amount_due: invoice.amount_due,
    amount_paid: invoice.amount_paid,
    hosted_invoice_url: invoice.hosted_invoice_url ?? null,
    pdf_url: invoice.invoice_pdf ?? null,
    // The period paid for is on the lines: the invoice's own period_* is the one just ended.
    period_start: seconds(line?.period?.start ?? invoice.period_start),
    period_end: seconds(line?.period?.end ?? invoice.period_end),
    issued_at: seconds(invoice.status_transitions?.finalized_at ?? invoice.created),
    paid_at: seconds(invoice.status_transitions?.paid_at) ?? (invoice.status === 'paid' ? new Date() : null),
  }
  await trx('invoices').insert(row).onConflict('stripe_invoice_id').merge()
}

/**
 * A paid invoice ends any payment trouble; one that opens a period brings its included minutes.
 * Included minutes do not roll over: what is left of the last period expires as the new one starts.
 */
async function invoicePaid(trx: Knex.Transaction, deps: StripeEventDeps, account: Row, invoice: Stripe.Invoice, mail: PendingMail[]): Promise<void> {
  await trx('billing_accounts').where({ id: account.id }).update({ failed_payment_count: 0, grace_until: null })
  const subscriptionId = subscriptionIdOf(invoice)
  if (!subscriptionId || !PERIOD_INVOICES.has(invoice.billing_reason ?? '')) return
  const current = await syncSubscription(trx, deps, account, subscriptionId, mail)
  if (!current.current_period_start) return
  const period = new Date(current.current_period_start)
  const key = `allowance:${account.id}:${period.toISOString()}`
  if (await trx('minute_ledger').where({ idempotency_key: key }).first('id')) return
  const minutes = includedMinutesOf(current)
  const { included_minutes: left } = await trx('billing_accounts').where({ id: account.id }).forUpdate().first('included_minutes')
  await appendLedger(trx, account.id, [
    { kind: 'expiry', bucket: 'included', minutes: -Math.max(0, left), periodStart: period, idempotencyKey: `expiry:${account.id}:${period.toISOString()}`, note: 'Included minutes of the last period' },
    { kind: 'allowance', bucket: 'included', minutes, periodStart: period, idempotencyKey: key, note: `${PLANS[current.plan as PlanKey].name} plan, period from ${period.toISOString().slice(0, 10)}` },
  ])
}

/** A failed payment: counted, with a grace period during which calls still go through, and the owners told. */
async function paymentFailed(trx: Knex.Transaction, deps: StripeEventDeps, account: Row, invoice: Stripe.Invoice): Promise<PendingMail[]> {
  const [updated] = await trx('billing_accounts')
    .where({ id: account.id })
    .update({
      failed_payment_count: trx.raw('failed_payment_count + 1'),
      grace_until: trx.raw('coalesce(grace_until, now() + make_interval(days => ?))', [deps.billing.graceDays]),
    })
    .returning(['failed_payment_count', 'grace_until'])
  const amount = formatAmount(invoice.amount_due, invoice.currency)
  const template = { kind: 'payment_failed' as const, accountName: account.display_name, amount, attempt: invoice.attempt_count || updated.failed_payment_count, callsStopOn: updated.grace_until }
  return mailToBillingContacts(trx, deps.mailer, account.organization_id, template)
}

/** An auto top-up's payment, as Stripe confirms it: credited here too, in case its buyer died after paying. */
async function autoTopupPaid(trx: Knex.Transaction, deps: StripeEventDeps, account: Row, intentId: string): Promise<void> {
  const intent = await deps.stripe.paymentIntents.retrieve(intentId)
  const { kind, ledgerKey, minutes, billingAccountId } = intent.metadata ?? {}
  if (kind !== 'auto_topup' || intent.status !== 'succeeded' || billingAccountId !== account.id || !ledgerKey?.startsWith(`auto-topup:${account.id}:`)) return
  const pack = deps.billing.topupPacks.find((candidate) => String(candidate.minutes) === minutes)
  if (pack) await creditTopup(trx, account.id, pack.minutes, ledgerKey, 'Auto top-up')
}

/** A completed checkout: a top-up pack is credited once paid; a subscription is taken from Stripe. */
async function completeCheckout(trx: Knex.Transaction, deps: StripeEventDeps, account: Row, sessionId: string, mail: PendingMail[]): Promise<void> {
  const session = await deps.stripe.checkout.sessions.retrieve(sessionId)
  if (session.mode === 'subscription' && session.subscription) {
    await syncSubscription(trx, deps, account, typeof session.subscription === 'string' ? session.subscription : session.subscription.id, mail)
    return
  }
  if (session.mode !== 'payment' || session.metadata?.kind !== 'topup' || session.payment_status !== 'paid') return
  const pack = deps.billing.topupPacks.find((candidate) => String(candidate.minutes) === session.metadata?.minutes)
  if (!pack) {
    deps.log.error({ session: session.id, minutes: session.metadata?.minutes }, 'a paid top-up names no configured pack; credit it by hand')
    return
  }
  if (!(await creditTopup(trx, account.id, pack.minutes, `topup:${session.id}`, 'Top-up'))) return
  const amount = formatAmount(session.amount_total ?? 0, session.currency ?? 'usd')
  mail.push(...(await mailToBillingContacts(trx, deps.mailer, account.organization_id, { kind: 'topup_receipt', accountName: account.display_name, minutes: pack.minutes, amount, automatic: false })))
}
