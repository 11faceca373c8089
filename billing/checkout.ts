import type Stripe from 'stripe'
import { payingAccount } from './paying-account.ts'
import { AppError, PLANS, recordAudit, type AuditEntry, type Config, type Knex, type PlanKey, type UserError, UserInputError } from '../core/index.ts'

type Row = Record<string, any>

export interface CheckoutDeps {
  db: Knex
  /** Null when billing is off. */
  stripe: Stripe | null
  config: Config
}

export interface CheckoutInput {
  business: { id: string; organizationId: string }
  /** A paid plan to subscribe to, or a top-up pack by its minutes: exactly one. */
  plan: PlanKey | null
  topupMinutes: number | null
  successUrl: string
  cancelUrl: string
  actor: AuditEntry['actor']
}

/**
 * A Stripe Checkout page for the account that pays for the business's calls: a subscription to a
 * plan, or a top-up pack paid once. The account and what is bought go along as metadata, so the
 * webhook knows where the money belongs; the webhook, not the redirect, changes the account.
 */
export async function startCheckout(deps: CheckoutDeps, input: CheckoutInput): Promise<string> {
  const stripe = requireStripe(deps)
  const { billing } = deps.config
  const errors: UserError[] = [...returnUrlErrors(deps.config, 'successUrl', input.successUrl), ...returnUrlErrors(deps.config, 'cancelUrl', input.cancelUrl)]
  const pack = input.topupMinutes === null ? null : billing.topupPacks.find((candidate) => candidate.minutes === input.topupMinutes)
  const planPrice = input.plan ? billing.planPrices[input.plan as Exclude<PlanKey, 'free'>] : undefined
  if ((input.plan === null) === (input.topupMinutes === null)) errors.push({ field: ['input', 'plan'], code: 'INVALID', message: 'Choose either a plan or a top-up pack' })
  else if (input.plan && !planPrice) errors.push({ field: ['input', 'plan'], code: 'NOT_ALLOWED', message: `The ${PLANS[input.plan].name} plan is not sold through checkout` })
  else if (input.topupMinutes !== null && !pack) errors.push({ field: ['input', 'topupMinutes'], code: 'INVALID', message: `No top-up pack of ${input.topupMinutes} minutes; packs: ${billing.topupPacks.map((p) => p.minutes).join(', ') || 'none'}` })
  if (errors.length) throw new UserInputError(errors)

  const account = await payingAccount(deps.db, input.business)
  if (input.plan && account.stripe_subscription_id && !['canceled', 'incomplete_expired'].includes(account.subscription_status)) {
    throw new UserInputError([{ field: ['input', 'plan'], code: 'NOT_ALLOWED', message: 'The account already has a subscription: change its plan in the billing portal' }])
  }
  const customer = await stripeCustomer(deps.db, stripe, account)
  const metadata: Record<string, string> = { billingAccountId: account.id, ...(pack ? { kind: 'topup', minutes: String(pack.minutes) } : { kind: 'subscription', plan: input.plan as string }) }
  const session = await stripe.checkout.sessions.create({
    customer,
    client_reference_id: account.id,
    mode: pack ? 'payment' : 'subscription',
    line_items: [{ price: pack ? pack.price : (planPrice as string), quantity: 1 }],
    success_url: input.successUrl,
    cancel_url: input.cancelUrl,
    metadata,
    ...(pack ? { payment_intent_data: { metadata, setup_future_usage: 'off_session' as const } } : { subscription_data: { metadata } }),
  })
  if (!session.url) throw new AppError('UPSTREAM_UNAVAILABLE', 'Stripe did not return a checkout page')
  await recordAudit(deps.db, { action: 'billing.checkout_started', actor: input.actor, organizationId: account.organization_id, businessId: input.business.id, target: { type: 'billing_account', id: account.id }, metadata: { kind: metadata.kind, plan: metadata.plan ?? null, minutes: metadata.minutes ?? null } })
  return session.url
}

/** Stripe's customer portal for the paying account: payment methods, invoices, plan changes and cancellation. */
export async function openBillingPortal(deps: CheckoutDeps, input: { business: { id: string; organizationId: string }; returnUrl: string }): Promise<string> {
  const stripe = requireStripe(deps)
  const errors = returnUrlErrors(deps.config, 'returnUrl', input.returnUrl)
  if (errors.length) throw new UserInputError(errors)
  const account = await payingAccount(deps.db, input.business)
  const customer = await stripeCustomer(deps.db, stripe, account)
  const session = await stripe.billingPortal.sessions.create({ customer, return_url: input.returnUrl })
  return session.url
}

function requireStripe(deps: CheckoutDeps): Stripe {
  if (!deps.stripe) throw new AppError('UPSTREAM_UNAVAILABLE', 'Billing is not set up on this server')
  return deps.stripe
}

/** Where Stripe sends the customer back: https, or http on this machine outside production. */
function returnUrlErrors(config: Config, field: string, value: string): UserError[] {
  const url = URL.parse(value)
  const local = url?.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && config.env !== 'production'
  return url && (url.protocol === 'https:' || local) ? [] : [{ field: ['input', field], code: 'INVALID', message: 'Must be an https URL' }]
}

/** The account's Stripe customer, created on first need; two requests at once end with one customer. */
async function stripeCustomer(db: Knex, stripe: Stripe, account: Row): Promise<string> {
  if (account.stripe_customer_id) return account.stripe_customer_id
  const customer = await stripe.customers.create(
    { name: account.display_name, metadata: { billingAccountId: account.id } },
    // Stripe replays the first answer to the same key (for 24 hours), so a race makes one customer.
    { idempotencyKey: `customer:${account.id}` },
  )
  await db('billing_accounts').where({ id: account.id }).whereNull('stripe_customer_id').update({ stripe_customer_id: customer.id })
  return customer.id
}
