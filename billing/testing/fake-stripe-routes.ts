/**
 * The HTTP surface of the fake Stripe: Stripe's form encoding (bracket notation) parsed into nested
 * parameters, typed reads that fail as Stripe does (400 naming the parameter), and one route per
 * endpoint billing uses, each listing the parameters it takes so an unknown one is refused.
 */
import { noSuch, stripeError, type Answer, type Cause, type FakeStripeStore, type ItemChange, type StripeObject } from './fake-stripe-store.ts'

export type Form = { [key: string]: FormValue }
type FormValue = string | FormValue[] | Form

/** Parses `a[b][0][c]=1&a[b][]=2` into nested objects and arrays, as Stripe (and the `qs` package) read it. */
export function parseForm(encoded: string): Form {
  const root: Form = {}
  for (const [key, value] of new URLSearchParams(encoded)) {
    const path = key.replace(/\]/g, '').split('[')
    if (path.some((segment) => segment === '__proto__' || segment === 'constructor' || segment === 'prototype')) continue
    let node: Record<string, FormValue> = root
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1
      const slot = segment === '' ? String(Object.keys(node).length) : segment
      if (last) node[slot] = value
      else node = (typeof node[slot] === 'object' ? node[slot] : (node[slot] = {})) as Record<string, FormValue>
    }
  }
  return arrays(root) as Form
}

// Objects whose keys are 0..n-1 become arrays, in index order.
function arrays(value: FormValue): FormValue {
  if (typeof value !== 'object') return value
  const entries = Object.entries(value).map(([key, inner]) => [key, arrays(inner)] as const)
  const indexed = entries.length > 0 && entries.every(([key]) => /^\d+$/.test(key))
  if (indexed) return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, inner]) => inner)
  return Object.fromEntries(entries)
}

export class ParamError extends Error {
  readonly answer: Answer
  constructor(answer: Answer) {
    super('invalid parameter')
    this.answer = answer
  }
}

const invalid = (param: string, message: string, code = 'parameter_invalid_string') => new ParamError(stripeError(400, 'invalid_request_error', message, { code, param }))

/** Typed reads of one request's parameters, failing as Stripe does (400 with the parameter named). */
export class Params {
  readonly form: Form
  constructor(form: Form) {
    this.form = form
  }
  text(name: string, required = false, form: Form = this.form, param = name): string | undefined {
    const value = form[name]
    if (value === undefined && required) throw invalid(param, `Missing required param: ${param}.`, 'parameter_missing')
    if (value !== undefined && typeof value !== 'string') throw invalid(param, `Invalid string: ${JSON.stringify(value)}`)
    return value
  }
  integer(name: string, required = false, form: Form = this.form, param = name): number | undefined {
    const value = this.text(name, required, form, param)
    if (value === undefined) return undefined
    if (!/^-?\d+$/.test(value)) throw invalid(param, `Invalid integer: ${value}`, 'parameter_invalid_integer')
    return Number(value)
  }
  boolean(name: string, form: Form = this.form, param = name): boolean | undefined {
    const value = this.text(name, false, form, param)
    if (value === undefined) return undefined
    if (value !== 'true' && value !== 'false') throw invalid(param, `Invalid boolean: ${value}`)
    return value === 'true'
  }
  object(name: string, form: Form = this.form): Form | undefined {
    const value = form[name]
    if (value === undefined || (typeof value === 'object' && !Array.isArray(value))) return value
    throw invalid(name, `Invalid object`, 'parameter_invalid_empty')
  }
  list(name: string): Form[] {
    const value = this.form[name]
    if (value === undefined) return []
    if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'object' || Array.isArray(entry))) throw invalid(name, `Invalid array`)
    return value as Form[]
  }
  /** Metadata as given: string values, or '' to unset every key. */
  metadata(name = 'metadata', form: Form = this.form): Record<string, string> | '' | undefined {
    const value = form[name]
    if (value === undefined || value === '') return value
    if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((inner) => typeof inner !== 'string')) throw invalid(name, 'Invalid hash')
    return value as Record<string, string>
  }
}

export interface Route {
  method: string
  pattern: RegExp
  /** Top-level parameters the endpoint takes (some accepted and ignored); others are refused, as Stripe refuses them. */
  accepts: string[]
  handle(params: Params, id: string, cause: Cause): Answer
}

const ok = (body: unknown): Answer => ({ status: 200, body })
const CUSTOMER_PARAMS = ['email', 'name', 'description', 'phone', 'metadata', 'invoice_settings', 'address', 'preferred_locales']

/** The endpoints, matched in order against `METHOD /path`; the path's id is the first group. */
export function routes(store: FakeStripeStore): Route[] {
  const retrieve = (object: string) => (_params: Params, id: string) => {
    const found = store.get(object, id)
    return found ? ok(found) : noSuch(object, id)
  }
  const customerInput = (params: Params) => ({
    email: params.text('email'), name: params.text('name'), description: params.text('description'), phone: params.text('phone'), metadata: params.metadata(),
    defaultPaymentMethod: params.text('default_payment_method', false, params.object('invoice_settings') ?? {}, 'invoice_settings[default_payment_method]'),
  })
  return [
    { method: 'GET', pattern: /^\/v1\/prices\/([^/]+)$/, accepts: [], handle: retrieve('price') },
    { method: 'POST', pattern: /^\/v1\/customers$/, accepts: CUSTOMER_PARAMS, handle: (params, _id, cause) => ok(store.createCustomer(customerInput(params), cause)) },
    { method: 'GET', pattern: /^\/v1\/customers\/([^/]+)$/, accepts: [], handle: retrieve('customer') },
    {
      method: 'POST', pattern: /^\/v1\/customers\/([^/]+)$/, accepts: CUSTOMER_PARAMS,
      handle: (params, id, cause) => {
        const customer = store.get('customer', id)
        return customer ? ok(store.updateCustomer(customer, customerInput(params), cause)) : noSuch('customer', id)
      },
    },
    {
      method: 'POST', pattern: /^\/v1\/checkout\/sessions$/,
      accepts: [
        'mode', 'customer', 'customer_email', 'line_items', 'success_url', 'cancel_url', 'return_url', 'ui_mode', 'client_reference_id', 'metadata', 'subscription_data',
        'payment_intent_data', 'allow_promotion_codes', 'billing_address_collection', 'automatic_tax', 'customer_update', 'tax_id_collection', 'locale', 'payment_method_types',
        'expires_at', 'invoice_creation',
      ],
      handle: (params) => {
        const mode = params.text('mode', true) as string
        if (!['payment', 'subscription', 'setup'].includes(mode)) throw invalid('mode', 'Invalid mode: must be one of payment, setup, or subscription')
        if (mode === 'setup') throw new Error('the fake Stripe does not implement Checkout in setup mode')
        if (params.form.customer !== undefined && params.form.customer_email !== undefined) throw invalid('customer_email', 'You may only specify one of these parameters: customer, customer_email.')
        const lineItems = params.list('line_items')
        if (lineItems.length === 0) throw invalid('line_items', 'Missing required param: line_items.', 'parameter_missing')
        const items = lineItems.map((item, index) => {
          if (item.price_data !== undefined) throw new Error('the fake Stripe does not implement line_items[].price_data; add the price with fake.addPrice')
          return { price: params.text('price', true, item, `line_items[${index}][price]`) as string, quantity: params.integer('quantity', true, item, `line_items[${index}][quantity]`) as number }
        })
        return store.createCheckoutSession({
          mode, items, customer: params.text('customer'), customerEmail: params.text('customer_email'), successUrl: params.text('success_url'), cancelUrl: params.text('cancel_url'),
          clientReferenceId: params.text('client_reference_id'), metadata: params.metadata(), subscriptionMetadata: params.metadata('metadata', params.object('subscription_data') ?? {}),
          paymentMetadata: params.metadata('metadata', params.object('payment_intent_data') ?? {}),
        })
      },
    },
    { method: 'GET', pattern: /^\/v1\/checkout\/sessions\/([^/]+)$/, accepts: [], handle: retrieve('checkout.session') },
    {
      method: 'POST', pattern: /^\/v1\/billing_portal\/sessions$/, accepts: ['customer', 'return_url', 'configuration', 'flow_data', 'locale', 'on_behalf_of'],
      handle: (params) => store.createPortalSession(params.text('customer', true) as string, params.text('return_url')),
    },
    { method: 'GET', pattern: /^\/v1\/subscriptions\/([^/]+)$/, accepts: [], handle: retrieve('subscription') },
    {
      method: 'POST', pattern: /^\/v1\/subscriptions\/([^/]+)$/,
      accepts: ['items', 'cancel_at_period_end', 'metadata', 'proration_behavior', 'proration_date', 'payment_behavior', 'default_payment_method', 'description'],
      handle: (params, id, cause) => {
        const subscription = store.get('subscription', id)
        if (!subscription) return noSuch('subscription', id)
        const items: ItemChange[] = params.list('items').map((item, index) => ({
          id: params.text('id', false, item, `items[${index}][id]`), price: params.text('price', false, item, `items[${index}][price]`),
          quantity: params.integer('quantity', false, item, `items[${index}][quantity]`), deleted: params.boolean('deleted', item, `items[${index}][deleted]`),
        }))
        const outcome = store.reviseSubscription(subscription, {
          items: items.length ? items : undefined, cancel_at_period_end: params.boolean('cancel_at_period_end'), metadata: params.metadata(),
          default_payment_method: params.text('default_payment_method'), description: params.text('description'),
        }, cause)
        return 'error' in outcome ? outcome.error : ok(subscription)
      },
    },
    {
      method: 'DELETE', pattern: /^\/v1\/subscriptions\/([^/]+)$/, accepts: ['invoice_now', 'prorate', 'cancellation_details'],
      handle: (_params, id, cause) => {
        const subscription = store.get('subscription', id)
        if (!subscription) return noSuch('subscription', id)
        // The fake's choice for a second cancel: refused, so a double cancel shows up in a test.
        if (subscription.status === 'canceled') return stripeError(400, 'invalid_request_error', `The subscription ${id} has already been canceled.`)
        store.cancelSubscription(id, cause)
        return ok(subscription)
      },
    },
    {
      method: 'GET', pattern: /^\/v1\/invoices$/, accepts: ['customer', 'subscription', 'status', 'limit', 'starting_after', 'ending_before', 'created', 'collection_method'],
      handle: (params) => {
        const limit = params.integer('limit') ?? 10
        if (limit < 1 || limit > 100) throw invalid('limit', 'Invalid limit: must be between 1 and 100', 'parameter_invalid_integer')
        const [customer, subscription, status, after] = ['customer', 'subscription', 'status', 'starting_after'].map((name) => params.text(name))
        // Newest first; ids break ties within a second in creation order, which the store keeps.
        const matches = (invoice: StripeObject) =>
          (!customer || invoice.customer === customer) && (!subscription || invoice.parent?.subscription_details?.subscription === subscription) && (!status || invoice.status === status)
        const all = store.all('invoice').reverse().filter(matches)
        const from = after ? all.findIndex((invoice) => invoice.id === after) + 1 : 0
        if (after && from === 0) return noSuch('invoice', after, 'starting_after')
        return ok({ object: 'list', data: all.slice(from, from + limit), has_more: all.length > from + limit, url: '/v1/invoices' })
      },
    },
    { method: 'GET', pattern: /^\/v1\/invoices\/([^/]+)$/, accepts: [], handle: retrieve('invoice') },
    {
      method: 'POST', pattern: /^\/v1\/payment_intents$/,
      accepts: [
        'amount', 'currency', 'customer', 'payment_method', 'off_session', 'confirm', 'metadata', 'description', 'receipt_email', 'payment_method_types',
        'automatic_payment_methods', 'setup_future_usage', 'statement_descriptor_suffix', 'error_on_requires_action', 'capture_method', 'return_url',
      ],
      handle: (params, _id, cause) =>
        store.createPaymentIntent({
          amount: params.integer('amount', true) as number, currency: params.text('currency', true) as string, customer: params.text('customer'), paymentMethod: params.text('payment_method'),
          confirm: params.boolean('confirm') ?? false, offSession: params.boolean('off_session') ?? false, metadata: params.metadata(), description: params.text('description'),
        }, cause),
    },
    { method: 'GET', pattern: /^\/v1\/payment_intents\/([^/]+)$/, accepts: [], handle: retrieve('payment_intent') },
  ]
}
