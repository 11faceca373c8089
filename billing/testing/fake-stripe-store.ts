/**
 * The state of the fake Stripe: every object by id, how each changes (a Checkout paid, a period
 * renewed, an invoice retried, a plan changed, a card declined) and the events Stripe would send
 * as they do, each with a snapshot of its object. fake-stripe-routes.ts calls in for the API;
 * tests call in through the FakeStripe controls.
 */
import Stripe from 'stripe'
import {
  checkoutSessionObject, customerObject, DAY, invoiceObject, newId, paymentIntentObject, portalSessionObject, priceObject, subscriptionItemObject, subscriptionObject, unixNow,
  type CheckoutSessionInput, type Period, type PriceInput, type StripeObject,
} from './fake-stripe-objects.ts'

export type { PriceInput, StripeObject } from './fake-stripe-objects.ts'

/** A v1 Event, as Stripe posts it to a webhook endpoint. */
export interface StripeEvent {
  id: string
  object: 'event'
  type: string
  created: number
  data: { object: StripeObject; previous_attributes?: Record<string, unknown> }
  api_version: string
  livemode: false
  pending_webhooks: number
  request: { id: string | null; idempotency_key: string | null }
}

/** An HTTP answer: a status and a JSON body (an object, a list, or `{ error }`). */
export interface Answer {
  status: number
  body: unknown
}

/** A change made to a subscription outside the API (the Dashboard, the customer portal); `price` and `quantity` apply to its first item. */
export interface SubscriptionPatch {
  price?: string
  quantity?: number
  status?: string
  cancel_at_period_end?: boolean
  metadata?: Record<string, string>
}

/** One entry of `items` in a subscription update. */
export interface ItemChange {
  id?: string
  price?: string
  quantity?: number
  deleted?: boolean
}

/** The API request behind a change, stamped on its events; null ids for Stripe's own doings. */
export interface Cause {
  requestId: string | null
  idempotencyKey: string | null
}

export interface Decline {
  code: string
  decline_code: string
  message: string
}

type Metadata = Record<string, string> | ''
type CustomerInput = { email?: string; name?: string; description?: string; phone?: string; metadata?: Metadata; defaultPaymentMethod?: string }
type LineItem = { price: string; quantity: number }
type SubscriptionRevision = { items?: ItemChange[]; status?: string; cancel_at_period_end?: boolean; metadata?: Metadata; default_payment_method?: string; description?: string }

export const BY_STRIPE: Cause = { requestId: null, idempotencyKey: null }
// Stripe's test-mode payment methods that decline (https://docs.stripe.com/testing#declined-payments).
const DECLINING_METHODS: Record<string, Decline> = {
  pm_card_chargeDeclined: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  pm_card_chargeDeclinedInsufficientFunds: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  pm_card_chargeDeclinedExpiredCard: { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
}

/** `anchor` moved on by `count` intervals; a month from the 31st lands on the month's last day, as Stripe bills. */
export function addInterval(anchor: number, interval: string, count: number): number {
  if (interval === 'day' || interval === 'week') return anchor + count * DAY * (interval === 'week' ? 7 : 1)
  const from = new Date(anchor * 1000)
  const months = from.getUTCMonth() + count * (interval === 'year' ? 12 : 1)
  const lastDay = new Date(Date.UTC(from.getUTCFullYear(), months + 1, 0)).getUTCDate()
  const to = Date.UTC(from.getUTCFullYear(), months, Math.min(from.getUTCDate(), lastDay), from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds())
  return Math.floor(to / 1000)
}

export function stripeError(status: number, type: string, message: string, extra: Record<string, unknown> = {}): Answer {
  return { status, body: { error: { type, message, ...extra } } }
}

/** Stripe's answer for an unknown id: 404 for the id in the path, 400 for one named in a parameter. */
export function noSuch(object: string, id: string, param = 'id'): Answer {
  return stripeError(param === 'id' ? 404 : 400, 'invalid_request_error', `No such ${object}: '${id}'`, { code: 'resource_missing', param, doc_url: 'https://stripe.com/docs/error-codes/resource-missing' })
}

/** Stripe's metadata update: keys merge, an empty value unsets its key, an empty `metadata` unsets all. */
export function mergeMetadata(current: Record<string, string>, update: Metadata | undefined): Record<string, string> {
  if (update === undefined) return current
  if (update === '') return {}
  const merged = { ...current, ...update }
  for (const [key, value] of Object.entries(update)) if (value === '') delete merged[key]
  return merged
}

/** The top-level fields of `before` that differ in `after`, with their old values: an event's previous_attributes. */
function changed(before: StripeObject, after: StripeObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(before).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(after[key])))
}

export class FakeStripeStore {
  /** Every event the fake produced, oldest first (test controls and API calls alike). */
  readonly events: StripeEvent[] = []
  readonly #objects = new Map<string, StripeObject>()
  readonly #declines: Decline[] = []
  // What a Checkout session was created with that its JSON does not show.
  readonly #sessionInputs = new Map<string, { items: LineItem[]; subscriptionMetadata: Record<string, string>; paymentMetadata: Record<string, string> }>()

  /** The object with this id if it is of this kind. */
  get(object: string, id: string): StripeObject | undefined {
    const found = this.#objects.get(id)
    return found?.object === object ? found : undefined
  }

  /** Any object by id (for `expand`). */
  find(id: string): StripeObject | undefined {
    return this.#objects.get(id)
  }

  /** The objects of a kind, in creation order. */
  all(object: string): StripeObject[] {
    return [...this.#objects.values()].filter((found) => found.object === object)
  }

  #put(object: StripeObject): StripeObject {
    this.#objects.set(object.id, object)
    return object
  }

  #must(object: string, id: string): StripeObject {
    const found = this.get(object, id)
    if (!found) throw new Error(`the fake Stripe has no ${object} ${id}`)
    return found
  }

  emit(type: string, object: StripeObject, cause: Cause = BY_STRIPE, previous?: Record<string, unknown>): StripeEvent {
    const event: StripeEvent = {
      id: newId('evt_'),
      object: 'event',
      type,
      created: unixNow(),
      data: { object: structuredClone(object), ...(previous && { previous_attributes: structuredClone(previous) }) },
      api_version: Stripe.API_VERSION,
      livemode: false,
      pending_webhooks: 1,
      request: { id: cause.requestId, idempotency_key: cause.idempotencyKey },
    }
    this.events.push(event)
    return event
  }

  addPrice(input: PriceInput): StripeObject {
    return this.#put(priceObject(input))
  }

  createCustomer(input: CustomerInput, cause: Cause): StripeObject {
    const customer = this.#put(customerObject({ ...input, metadata: mergeMetadata({}, input.metadata) }))
    this.emit('customer.created', customer, cause)
    return customer
  }

  updateCustomer(customer: StripeObject, input: CustomerInput, cause: Cause): StripeObject {
    const before = structuredClone(customer)
    for (const field of ['email', 'name', 'description', 'phone'] as const) if (input[field] !== undefined) customer[field] = input[field] || null
    customer.metadata = mergeMetadata(customer.metadata, input.metadata)
    if (input.defaultPaymentMethod !== undefined) customer.invoice_settings.default_payment_method = input.defaultPaymentMethod || null
    this.emit('customer.updated', customer, cause, changed(before, customer))
    return customer
  }

  createCheckoutSession(input: CheckoutSessionInput & { items: LineItem[]; metadata?: Metadata; subscriptionMetadata?: Metadata; paymentMetadata?: Metadata }): Answer {
    if (input.customer && !this.get('customer', input.customer)) return noSuch('customer', input.customer, 'customer')
    const prices: StripeObject[] = []
    for (const [index, item] of input.items.entries()) {
      const price = this.get('price', item.price)
      if (!price) return noSuch('price', item.price, `line_items[${index}][price]`)
      prices.push(price)
    }
    const recurring = prices.some((price) => price.recurring)
    if (input.mode === 'subscription' && !recurring) return stripeError(400, 'invalid_request_error', 'You must provide at least one recurring price in `subscription` mode when using prices.', { param: 'line_items' })
    if (input.mode === 'payment' && recurring) return stripeError(400, 'invalid_request_error', 'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', { param: 'line_items' })
    const total = input.items.reduce((sum, item, index) => sum + item.quantity * (prices[index]?.unit_amount ?? 0), 0)
    const session = this.#put(checkoutSessionObject({ ...input, metadata: mergeMetadata({}, input.metadata), currency: prices[0]?.currency ?? null, total }))
    this.#sessionInputs.set(session.id, { items: input.items, subscriptionMetadata: mergeMetadata({}, input.subscriptionMetadata), paymentMetadata: mergeMetadata({}, input.paymentMetadata) })
    return { status: 200, body: session }
  }

  createPortalSession(customer: string, returnUrl: string | undefined): Answer {
    if (!this.get('customer', customer)) return noSuch('customer', customer, 'customer')
    return { status: 200, body: this.#put(portalSessionObject(customer, returnUrl)) }
  }

  /** The customer pays on the Checkout page. */
  completeCheckout(sessionId: string): StripeEvent[] {
    const session = this.#must('checkout.session', sessionId)
    const inputs = this.#sessionInputs.get(sessionId)
    if (session.status !== 'open' || !inputs) throw new Error(`checkout session ${sessionId} is ${session.status}, not open`)
    // Subscription mode always leaves a customer behind; a one-off payment only when one was named.
    const created = session.mode === 'subscription' && !session.customer ? this.createCustomer({ email: session.customer_email ?? undefined }, BY_STRIPE) : null
    const customer = session.customer ? this.#must('customer', session.customer) : created
    const details = { address: null, email: customer?.email ?? session.customer_email, name: customer?.name ?? null, phone: null, tax_exempt: 'none', tax_ids: [] }
    Object.assign(session, { status: 'complete', payment_status: 'paid', customer: customer?.id ?? null, customer_details: details })
    if (session.mode !== 'subscription') {
      const paid = { amount: session.amount_total, currency: session.currency, customer: customer?.id, paymentMethod: newId('pm_'), metadata: inputs.paymentMetadata }
      session.payment_intent = this.#put(paymentIntentObject({ ...paid, status: 'succeeded' })).id
      return [this.emit('checkout.session.completed', session)]
    }
    const subscription = this.#subscribe(customer as StripeObject, inputs.items, inputs.subscriptionMetadata)
    const item = subscription.items.data[0]
    const invoice = this.#invoice(subscription, 'subscription_create', { start: subscription.created, end: subscription.created }, { start: item.current_period_start, end: item.current_period_end })
    Object.assign(session, { subscription: subscription.id, invoice: invoice.id })
    const started = this.emit('customer.subscription.created', subscription)
    const finalized = this.emit('invoice.finalized', invoice)
    this.#settle(invoice, true)
    const paid = this.emit('invoice.paid', invoice)
    return [this.emit('checkout.session.completed', session), started, finalized, paid]
  }

  #subscribe(customer: StripeObject, items: LineItem[], metadata: Record<string, string>): StripeObject {
    const id = newId('sub_')
    const start = unixNow()
    const recurring = items.map((item) => ({ ...item, price: this.#must('price', item.price) })).filter((item) => item.price.recurring)
    const first = recurring[0]?.price
    const period = { start, end: addInterval(start, first?.recurring.interval, first?.recurring.interval_count) }
    const subscription = subscriptionObject(id, { customer: customer.id, currency: first?.currency, start, metadata, items: recurring.map((item) => subscriptionItemObject(id, item.price, item.quantity, period)) })
    // The card entered on the Checkout page becomes the subscription's, for renewals to charge.
    subscription.default_payment_method = newId('pm_')
    return this.#put(subscription)
  }

  #invoice(subscription: StripeObject, billingReason: string, period: Period, service: Period): StripeObject {
    const customer = this.#must('customer', subscription.customer)
    const number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence++).padStart(4, '0')}`
    const invoice = this.#put(invoiceObject({ subscription, customer, number, billingReason, period, service }))
    subscription.latest_invoice = invoice.id
    return invoice
  }

  /** One payment attempt on an open invoice; after a failure Smart Retries would try again in a few days. */
  #settle(invoice: StripeObject, pay: boolean): void {
    invoice.attempt_count += 1
    invoice.attempted = true
    if (pay) {
      Object.assign(invoice, { status: 'paid', amount_paid: invoice.amount_due, amount_remaining: 0, next_payment_attempt: null })
      invoice.status_transitions.paid_at = unixNow()
    } else invoice.next_payment_attempt = unixNow() + 3 * DAY
  }

  /** The next period begins: its invoice is paid, or fails and the subscription goes past_due. One set to cancel at period end ends instead. */
  renewSubscription(subscriptionId: string, options: { pay: boolean }): StripeEvent[] {
    const subscription = this.#must('subscription', subscriptionId)
    if (subscription.status === 'canceled') throw new Error(`subscription ${subscriptionId} is canceled`)
    if (subscription.cancel_at_period_end) return [this.cancelSubscription(subscriptionId)]
    const before = structuredClone(subscription)
    const item = subscription.items.data[0]
    const ended = { start: item.current_period_start, end: item.current_period_end }
    const { interval, interval_count: count } = item.price.recurring
    let cycles = 1
    while (addInterval(subscription.billing_cycle_anchor, interval, cycles * count) <= ended.end) cycles++
    const next = { start: ended.end, end: addInterval(subscription.billing_cycle_anchor, interval, cycles * count) }
    for (const each of subscription.items.data) Object.assign(each, { current_period_start: next.start, current_period_end: next.end })
    const invoice = this.#invoice(subscription, 'subscription_cycle', ended, next)
    const finalized = this.emit('invoice.finalized', invoice)
    this.#settle(invoice, options.pay)
    subscription.status = options.pay ? 'active' : 'past_due'
    const settled = this.emit(options.pay ? 'invoice.paid' : 'invoice.payment_failed', invoice)
    return [finalized, settled, this.emit('customer.subscription.updated', subscription, BY_STRIPE, changed(before, subscription))]
  }

  /** Stripe tries an open invoice again (Smart Retries, or the customer paying on its hosted page). */
  retryInvoice(invoiceId: string, options: { pay: boolean }): StripeEvent[] {
    const invoice = this.#must('invoice', invoiceId)
    if (invoice.status !== 'open') throw new Error(`invoice ${invoiceId} is ${invoice.status}, not open`)
    this.#settle(invoice, options.pay)
    const events = [this.emit(options.pay ? 'invoice.paid' : 'invoice.payment_failed', invoice)]
    const subscription = this.get('subscription', invoice.parent?.subscription_details?.subscription ?? '')
    if (options.pay && subscription?.status === 'past_due' && subscription.latest_invoice === invoice.id) events.push(this.updateSubscription(subscription.id, { status: 'active' }))
    return events
  }

  /** A change made outside the API: customer.subscription.updated, with previous_attributes. */
  updateSubscription(subscriptionId: string, patch: SubscriptionPatch): StripeEvent {
    const subscription = this.#must('subscription', subscriptionId)
    const { price, quantity, ...rest } = patch
    const items = price || quantity !== undefined ? [{ id: subscription.items.data[0].id, price, quantity }] : undefined
    const outcome = this.reviseSubscription(subscription, { ...rest, items }, BY_STRIPE)
    if ('error' in outcome) throw new Error(`the fake Stripe refused the change: ${JSON.stringify(outcome.error.body)}`)
    return outcome.event
  }

  /**
   * POST /v1/subscriptions/:id, and updateSubscription. An item named by id changes (or goes, with
   * `deleted`); an item without an id is added, as Stripe does, so a plan change must name the item.
   * Prorations, and the immediate invoice of an interval change, are not modelled.
   */
  reviseSubscription(subscription: StripeObject, input: SubscriptionRevision, cause: Cause): { error: Answer } | { event: StripeEvent } {
    if (subscription.status === 'canceled' && (input.items || input.cancel_at_period_end !== undefined)) {
      return { error: stripeError(400, 'invalid_request_error', 'A canceled subscription can only update its cancellation_details and metadata.') }
    }
    const data: StripeObject[] = subscription.items.data
    const changes: { item?: StripeObject; price?: StripeObject; quantity?: number; deleted: boolean }[] = []
    for (const [index, change] of (input.items ?? []).entries()) {
      const item = change.id ? data.find((each) => each.id === change.id) : undefined
      if (change.id && !item) return { error: noSuch('subscription_item', change.id, `items[${index}][id]`) }
      const price = change.price ? this.get('price', change.price) : undefined
      if (change.price && !price) return { error: noSuch('price', change.price, `items[${index}][price]`) }
      const param = `items[${index}][price]`
      if (price && !price.recurring) return { error: stripeError(400, 'invalid_request_error', 'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.', { param }) }
      if (!item && !price) return { error: stripeError(400, 'invalid_request_error', `Missing required param: ${param}.`, { code: 'parameter_missing', param }) }
      changes.push({ item, price, quantity: change.quantity, deleted: change.deleted === true })
    }
    const before = structuredClone(subscription)
    const period = { start: data[0]?.current_period_start ?? unixNow(), end: data[0]?.current_period_end ?? unixNow() }
    for (const { item, price, quantity, deleted } of changes) {
      if (item && deleted) data.splice(data.indexOf(item), 1)
      else if (item) Object.assign(item, price && { price: structuredClone(price) }, quantity !== undefined && { quantity })
      else if (price) data.push(subscriptionItemObject(subscription.id, price, quantity ?? 1, period))
    }
    subscription.items.total_count = data.length
    if (input.status) subscription.status = input.status
    if (input.description !== undefined) subscription.description = input.description || null
    if (input.default_payment_method !== undefined) subscription.default_payment_method = input.default_payment_method || null
    subscription.metadata = mergeMetadata(subscription.metadata, input.metadata)
    if (input.cancel_at_period_end !== undefined) {
      // Since API version 2025-03-31, cancelling at period end also sets cancel_at to that instant.
      Object.assign(subscription, { cancel_at_period_end: input.cancel_at_period_end, cancel_at: input.cancel_at_period_end ? period.end : null })
      subscription.cancellation_details.reason = input.cancel_at_period_end ? 'cancellation_requested' : null
    }
    return { event: this.emit('customer.subscription.updated', subscription, cause, changed(before, subscription)) }
  }

  /** Ends a subscription now: customer.subscription.deleted. */
  cancelSubscription(subscriptionId: string, cause: Cause = BY_STRIPE): StripeEvent {
    const subscription = this.#must('subscription', subscriptionId)
    const now = unixNow()
    Object.assign(subscription, { status: 'canceled', canceled_at: now, ended_at: now, cancellation_details: { comment: null, feedback: null, reason: 'cancellation_requested' } })
    return this.emit('customer.subscription.deleted', subscription, cause)
  }

  declineNextPayment(decline: Decline): void {
    this.#declines.push(decline)
  }

  /** A PaymentIntent, confirmed at once when asked: it succeeds, or declines with Stripe's 402 card_error. */
  createPaymentIntent(input: { amount: number; currency: string; customer?: string; paymentMethod?: string; confirm: boolean; offSession: boolean; metadata?: Metadata; description?: string }, cause: Cause): Answer {
    if (input.customer && !this.get('customer', input.customer)) return noSuch('customer', input.customer, 'customer')
    if (input.offSession && !input.confirm) return stripeError(400, 'invalid_request_error', 'You may only specify `off_session` when `confirm` is true.', { param: 'off_session' })
    if (input.confirm && !input.paymentMethod) {
      const message = "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method and then confirm it again."
      return stripeError(400, 'invalid_request_error', message, { code: 'payment_intent_unexpected_state', param: 'payment_method' })
    }
    const base = { ...input, metadata: mergeMetadata({}, input.metadata) }
    if (!input.confirm) return { status: 200, body: this.#put(paymentIntentObject({ ...base, status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method' })) }
    const decline = this.#declines.shift() ?? DECLINING_METHODS[input.paymentMethod ?? '']
    if (!decline) {
      const intent = this.#put(paymentIntentObject({ ...base, status: 'succeeded' }))
      this.emit('payment_intent.succeeded', intent, cause)
      return { status: 200, body: intent }
    }
    const intent = this.#put(paymentIntentObject({ ...base, status: 'requires_payment_method' }))
    const paymentMethod = { id: input.paymentMethod, object: 'payment_method', type: 'card', customer: input.customer ?? null }
    const docUrl = `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`
    intent.last_payment_error = { type: 'card_error', code: decline.code, decline_code: decline.decline_code, message: decline.message, doc_url: docUrl, payment_method: paymentMethod }
    this.emit('payment_intent.payment_failed', intent, cause)
    const { code, decline_code } = decline
    return stripeError(402, 'card_error', decline.message, { code, decline_code, doc_url: docUrl, charge: intent.latest_charge, payment_intent: structuredClone(intent), payment_method: paymentMethod })
  }
}
