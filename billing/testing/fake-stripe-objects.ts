/**
 * Stripe's JSON for the objects the fake keeps, at the API version the installed SDK pins
 * (Stripe.API_VERSION): ids with Stripe's prefixes, unix-second times, `livemode: false`, and the
 * fields billing reads. Most of the other fields a real object has are left out; those kept are
 * null or empty as a fresh test-mode object has them.
 */
import { randomBytes } from 'node:crypto'

/** A Stripe API object as JSON: its `id`, its `object` kind and the rest of its fields. */
export type StripeObject = { id: string; object: string } & Record<string, any>

/** A catalog price, as a test declares it. */
export interface PriceInput {
  id: string
  unit_amount: number
  currency: string
  recurring?: { interval: 'day' | 'week' | 'month' | 'year'; interval_count?: number }
  metadata?: Record<string, string>
  product?: string
  nickname?: string
}

export interface Period {
  start: number
  end: number
}

export const DAY = 86_400
const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

export function newId(prefix: string, length = 24): string {
  return prefix + Array.from(randomBytes(length), (byte) => ALPHANUMERIC[byte % 62]).join('')
}

export const unixNow = (): number => Math.floor(Date.now() / 1000)

export const list = (data: StripeObject[], url: string) => ({ object: 'list', data, has_more: false, total_count: data.length, url })

export function priceObject(input: PriceInput): StripeObject {
  const recurring = input.recurring && { interval: input.recurring.interval, interval_count: input.recurring.interval_count ?? 1, meter: null, trial_period_days: null, usage_type: 'licensed' }
  return {
    id: input.id, object: 'price', active: true, billing_scheme: 'per_unit', created: unixNow(), currency: input.currency, custom_unit_amount: null,
    livemode: false, lookup_key: null, metadata: input.metadata ?? {}, nickname: input.nickname ?? null, product: input.product ?? `prod_${input.id.replace(/^price_/, '')}`,
    recurring: recurring ?? null, tax_behavior: 'unspecified', tiers_mode: null, transform_quantity: null, type: recurring ? 'recurring' : 'one_time',
    unit_amount: input.unit_amount, unit_amount_decimal: String(input.unit_amount),
  }
}

export function customerObject(input: { email?: string; name?: string; description?: string; phone?: string; metadata: Record<string, string>; defaultPaymentMethod?: string }): StripeObject {
  return {
    id: newId('cus_', 14), object: 'customer', address: null, balance: 0, created: unixNow(), currency: null, default_source: null, delinquent: false,
    description: input.description ?? null, email: input.email ?? null, invoice_prefix: newId('', 8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: input.defaultPaymentMethod ?? null, footer: null, rendering_options: null },
    livemode: false, metadata: input.metadata, name: input.name ?? null, next_invoice_sequence: 1, phone: input.phone ?? null, preferred_locales: [],
    shipping: null, tax_exempt: 'none', test_clock: null,
  }
}

export interface CheckoutSessionInput {
  mode: string
  customer?: string
  customerEmail?: string
  successUrl?: string
  cancelUrl?: string
  clientReferenceId?: string
}

export function checkoutSessionObject(input: CheckoutSessionInput & { metadata: Record<string, string>; currency: string | null; total: number }): StripeObject {
  const id = newId('cs_test_', 58)
  const created = unixNow()
  return {
    id, object: 'checkout.session', amount_subtotal: input.total, amount_total: input.total, cancel_url: input.cancelUrl ?? null, client_reference_id: input.clientReferenceId ?? null,
    created, currency: input.currency, customer: input.customer ?? null, customer_creation: input.customer ? null : 'always', customer_details: null,
    customer_email: input.customerEmail ?? null, expires_at: created + DAY, invoice: null, livemode: false, metadata: input.metadata, mode: input.mode, payment_intent: null,
    payment_status: 'unpaid', status: 'open', subscription: null, success_url: input.successUrl ?? null, ui_mode: 'hosted', url: `https://checkout.stripe.test/c/pay/${id}`,
  }
}

export function portalSessionObject(customer: string, returnUrl: string | undefined): StripeObject {
  const id = newId('bps_')
  return {
    id, object: 'billing_portal.session', configuration: 'bpc_fake', created: unixNow(), customer, customer_account: null, flow: null, livemode: false, locale: null,
    on_behalf_of: null, return_url: returnUrl ?? null, url: `https://billing.stripe.test/p/session/test_${id.slice(4)}`,
  }
}

export function subscriptionObject(id: string, input: { customer: string; currency: string; start: number; metadata: Record<string, string>; items: StripeObject[] }): StripeObject {
  return {
    id, object: 'subscription', application: null, billing_cycle_anchor: input.start, cancel_at: null, cancel_at_period_end: false, canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null }, collection_method: 'charge_automatically', created: input.start, currency: input.currency,
    customer: input.customer, days_until_due: null, default_payment_method: null, description: null, discounts: [], ended_at: null,
    items: list(input.items, `/v1/subscription_items?subscription=${id}`), latest_invoice: null, livemode: false, metadata: input.metadata, pause_collection: null,
    start_date: input.start, status: 'active', trial_end: null, trial_start: null,
  }
}

/** A subscription item; since API version 2025-03-31 the current period lives here, not on the subscription. */
export function subscriptionItemObject(subscription: string, price: StripeObject, quantity: number, period: Period): StripeObject {
  return {
    id: newId('si_', 14), object: 'subscription_item', created: unixNow(), current_period_end: period.end, current_period_start: period.start, discounts: [],
    metadata: {}, price: structuredClone(price), quantity, subscription, tax_rates: [],
  }
}

function invoiceLine(invoice: string, subscription: StripeObject, item: StripeObject, service: Period) {
  const amount = item.price.unit_amount * item.quantity
  return {
    id: newId('il_'), object: 'line_item', amount, currency: subscription.currency, description: `${item.quantity} × ${item.price.nickname ?? item.price.product}`,
    discount_amounts: [], discountable: true, discounts: [], invoice, livemode: false, metadata: {}, period: service, pretax_credit_amounts: [],
    quantity: item.quantity, subtotal: amount, taxes: [],
    parent: {
      type: 'subscription_item_details', invoice_item_details: null,
      subscription_item_details: { invoice_item: null, proration: false, proration_details: { credited_items: null }, subscription: subscription.id, subscription_item: item.id },
    },
    pricing: { type: 'price_details', price_details: { price: item.price.id, product: item.price.product }, unit_amount_decimal: item.price.unit_amount_decimal },
  }
}

/**
 * An open, finalized invoice for a subscription's items. Stripe's quirk, kept: `period_start` and
 * `period_end` bound the invoice items it gathered (the period just ended, or the creation instant
 * for the first invoice); the service period billed for is on each line's `period`.
 */
export function invoiceObject(input: { subscription: StripeObject; customer: StripeObject; number: string; billingReason: string; period: Period; service: Period }): StripeObject {
  const { subscription, customer } = input
  const id = newId('in_')
  const lines = (subscription.items.data as StripeObject[]).map((item) => invoiceLine(id, subscription, item, input.service))
  const total = lines.reduce((sum, line) => sum + line.amount, 0)
  const now = unixNow()
  return {
    id, object: 'invoice', account_country: 'US', account_name: 'Answerline (fake Stripe)', amount_due: total, amount_overpaid: 0, amount_paid: 0, amount_remaining: total,
    amount_shipping: 0, attempt_count: 0, attempted: false, auto_advance: true, billing_reason: input.billingReason, collection_method: 'charge_automatically',
    created: now, currency: subscription.currency, customer: customer.id, customer_email: customer.email, customer_name: customer.name, default_payment_method: null,
    description: null, discounts: [], due_date: null, effective_at: now, ending_balance: 0, hosted_invoice_url: `https://invoice.stripe.test/i/${id}`,
    invoice_pdf: `https://pay.stripe.test/invoice/${id}/pdf`, lines: list(lines, `/v1/invoices/${id}/lines`), livemode: false, metadata: {}, next_payment_attempt: null,
    number: input.number, period_end: input.period.end, period_start: input.period.start, starting_balance: 0, status: 'open',
    parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: structuredClone(subscription.metadata), subscription: subscription.id } },
    status_transitions: { finalized_at: now, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total, subtotal_excluding_tax: total, total, total_excluding_tax: total, webhooks_delivered_at: null,
  }
}

export function paymentIntentObject(input: { amount: number; currency: string; customer?: string; paymentMethod?: string; metadata: Record<string, string>; description?: string; status: string }): StripeObject {
  const id = newId('pi_')
  const charged = (input.status === 'succeeded' || input.status === 'requires_payment_method') && input.paymentMethod
  return {
    id, object: 'payment_intent', amount: input.amount, amount_capturable: 0, amount_received: input.status === 'succeeded' ? input.amount : 0, canceled_at: null,
    cancellation_reason: null, capture_method: 'automatic_async', client_secret: `${id}_secret_${newId('', 25)}`, confirmation_method: 'automatic', created: unixNow(),
    currency: input.currency, customer: input.customer ?? null, description: input.description ?? null, last_payment_error: null, latest_charge: charged ? newId('ch_') : null,
    livemode: false, metadata: input.metadata, next_action: null, payment_method: input.paymentMethod ?? null, payment_method_types: ['card'], status: input.status,
  }
}
