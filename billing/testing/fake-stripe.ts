/**
 * A local server speaking the part of Stripe's v1 API that billing uses, for the official SDK
 * pointed at it (`new Stripe(key, { host: '127.0.0.1', port: fake.port, protocol: 'http' })`).
 * Like Stripe it reads form-encoded bodies in bracket notation, checks the secret key, refuses
 * unknown parameters, replays the first answer to a repeated Idempotency-Key and answers errors as
 * `{ error: { type, code, message, param } }`. Tests play Stripe's side with the controls (a paid
 * checkout, a renewal, a decline) and get back the events Stripe would send, ready to sign.
 * `script` makes the next matching request misbehave (a status, a delay, a dropped connection).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { takeMisbehaviour, type Misbehaviour as BaseMisbehaviour } from '../../core/testing/misbehaviour.ts'
import { ParamError, parseForm, Params, routes, type Form } from './fake-stripe-routes.ts'
import { newId } from './fake-stripe-objects.ts'
import { FakeStripeStore, stripeError, type Answer, type Decline, type PriceInput, type StripeEvent, type StripeObject, type SubscriptionPatch } from './fake-stripe-store.ts'

export type { PriceInput, StripeEvent, StripeObject, SubscriptionPatch } from './fake-stripe-store.ts'

/** A scripted misbehaviour (see core/testing/misbehaviour.ts), or one more of this fake's own. */
export interface Misbehaviour extends BaseMisbehaviour {
  /** Do the work (and keep its idempotent answer), then destroy the connection: the client never learns of it. */
  dropAfterWork?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  /** Query and body parameters, nested as Stripe reads them (`line_items[0][price]` is `{ line_items: [{ price }] }`). */
  query: Form
  body: Form
  idempotencyKey: string | null
  authorization: string | null
}

export interface FakeStripe {
  port: number
  baseUrl: string
  /** The endpoint secret events are signed with. */
  webhookSecret: string
  requests: RecordedRequest[]
  /** Every event the fake produced, oldest first, including those of API calls (customer.subscription.updated after an update). */
  events: StripeEvent[]
  store: FakeStripeStore
  /** Puts a price in the catalog; GET /v1/prices/:id and Checkout find it. */
  addPrice(price: PriceInput): StripeObject
  /** The next confirmed PaymentIntent is declined (402 card_error, card_declined unless told otherwise). */
  declineNextPayment(decline?: Partial<Decline>): void
  /** The customer pays: checkout.session.completed, then (subscription mode) customer.subscription.created, invoice.finalized, invoice.paid. */
  completeCheckout(sessionId: string): StripeEvent[]
  /** The next period: invoice.finalized, invoice.paid or invoice.payment_failed, customer.subscription.updated. */
  renewSubscription(subscriptionId: string, options: { pay: boolean }): StripeEvent[]
  /** Stripe retries an open invoice: invoice.paid (and the subscription back to active) or invoice.payment_failed. */
  retryInvoice(invoiceId: string, options: { pay: boolean }): StripeEvent[]
  updateSubscription(subscriptionId: string, patch: SubscriptionPatch): StripeEvent
  cancelSubscription(subscriptionId: string): StripeEvent
  /** An event of any type about any object (snapshot taken now). */
  event(type: string, object: StripeObject): StripeEvent
  /** The body Stripe would post and its Stripe-Signature header, made by the SDK with `webhookSecret`. */
  sign(event: StripeEvent): { payload: string; header: string }
  script(misbehaviour: Misbehaviour): void
  close(): Promise<void>
}

/** The fake's options: the secret key it accepts and the endpoint secret it signs events with. */
export interface FakeStripeOptions {
  apiKey?: string
  webhookSecret?: string
}

interface Kept {
  fingerprint: string
  /** Undefined while the first request is still being worked on. */
  answer?: Answer
}

const NO_API_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). " +
  'See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.'

/** Stripe shows a wrong key with its prefix and last four characters only. */
const redact = (key: string) => `${key.slice(0, key.indexOf('_', 3) + 1)}${'*'.repeat(Math.max(0, key.length - key.indexOf('_', 3) - 5))}${key.slice(-4)}`

function authenticate(authorization: string | undefined, apiKey: string): Answer | null {
  const key = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1]
  if (!key) return stripeError(401, 'invalid_request_error', NO_API_KEY)
  return key === apiKey ? null : stripeError(401, 'invalid_request_error', `Invalid API Key provided: ${redact(key)}`)
}

/** The body Stripe sends with a status, for a scripted misbehaviour that names none. */
function scriptedError(status: number): Answer {
  if (status === 402) return stripeError(402, 'card_error', 'Your card was declined.', { code: 'card_declined', decline_code: 'generic_decline' })
  if (status === 404) return stripeError(404, 'invalid_request_error', 'No such object (scripted).', { code: 'resource_missing' })
  if (status === 409) return stripeError(409, 'idempotency_error', 'There is currently another in-progress request using this Stripe-Idempotency-Key. Please try again later.')
  if (status === 429) return stripeError(429, 'rate_limit_error', 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.', { code: 'rate_limit' })
  if (status >= 500) return stripeError(status, 'api_error', 'An unknown error occurred (scripted).')
  return stripeError(status, 'invalid_request_error', `Scripted ${status}.`)
}

/** Replaces the ids at each dotted path (`latest_invoice`, `data.customer`, `items.data.price`) with their objects. */
function expandPath(find: (id: string) => StripeObject | undefined, node: any, path: string[]): boolean {
  const [head, ...rest] = path
  if (head === undefined) return true
  if (node?.object === 'list' && head === 'data') return (node.data as unknown[]).every((each) => expandPath(find, each, rest))
  if (typeof node !== 'object' || node === null || !(head in node)) return false
  const value = node[head]
  if (typeof value === 'string') {
    const found = find(value)
    if (!found) return false
    node[head] = structuredClone(found)
  } else if (typeof value !== 'object') return false
  return value === null || expandPath(find, node[head], rest)
}

// Stripe saves the answer of a request once the endpoint has started executing: successes, card
// declines and server errors are replayed; a request refused before executing (a bad parameter) is not.
const kept = (answer: Answer) => answer.status < 400 || answer.status === 402 || answer.status >= 500

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const apiKey = options.apiKey ?? 'sk_test_fake'
  const webhookSecret = options.webhookSecret ?? 'whsec_test_fake'
  const store = new FakeStripeStore()
  const table = routes(store)
  const requests: RecordedRequest[] = []
  const script: Misbehaviour[] = []
  const idempotent = new Map<string, Kept>()
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  function route(method: string, path: string, form: Form, cause: { requestId: string; idempotencyKey: string | null }): Answer {
    for (const candidate of table) {
      const match = candidate.method === method ? candidate.pattern.exec(path) : null
      if (!match) continue
      const unknown = Object.keys(form).find((name) => name !== 'expand' && !candidate.accepts.includes(name))
      if (unknown) return stripeError(400, 'invalid_request_error', `Received unknown parameter: ${unknown}`, { code: 'parameter_unknown', param: unknown })
      try {
        const answer = candidate.handle(new Params(form), decodeURIComponent(match[1] ?? ''), cause)
        const expand = form.expand === undefined ? [] : Array.isArray(form.expand) ? form.expand : [form.expand]
        if (answer.status !== 200 || expand.length === 0) return answer
        const body = structuredClone(answer.body)
        const bad = expand.find((path) => typeof path !== 'string' || !expandPath((id) => store.find(id), body, path.split('.')))
        return bad === undefined ? { status: 200, body } : stripeError(400, 'invalid_request_error', `This property cannot be expanded (${String(bad)}).`, { param: 'expand' })
      } catch (error) {
        if (error instanceof ParamError) return error.answer
        throw error
      }
    }
    return stripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`)
  }

  function send(res: ServerResponse, answer: Answer, headers: Record<string, string>): void {
    if (res.destroyed || res.writableEnded) return
    res.writeHead(answer.status, { 'content-type': 'application/json', ...headers })
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body, null, 2))
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://fake')
    const method = req.method ?? 'GET'
    const idempotencyKey = method === 'POST' ? ((req.headers['idempotency-key'] as string | undefined) ?? null) : null
    const query = parseForm(url.search.slice(1))
    const body = parseForm(raw)
    requests.push({ method, path: url.pathname, query, body, idempotencyKey, authorization: req.headers.authorization ?? null })
    const requestId = newId('req_', 14)
    const version = (req.headers['stripe-version'] as string | undefined) ?? Stripe.API_VERSION
    const headers: Record<string, string> = { 'request-id': requestId, 'stripe-version': version, ...(idempotencyKey && { 'idempotency-key': idempotencyKey }) }

    const misbehaviour = takeMisbehaviour(script, method, url.pathname)
    if (misbehaviour?.drop || misbehaviour?.status) {
      await sleep(misbehaviour.delayMs ?? 0)
      if (misbehaviour.drop) return void req.socket.destroy()
      const status = misbehaviour.status as number
      return send(res, misbehaviour.body === undefined ? scriptedError(status) : { status, body: misbehaviour.body }, { ...headers, ...misbehaviour.headers })
    }
    const unauthorized = authenticate(req.headers.authorization, apiKey)
    if (unauthorized) return send(res, unauthorized, headers)

    const slot = idempotencyKey ? `${apiKey} ${idempotencyKey}` : null
    const fingerprint = `${method} ${url.pathname} ${raw}`
    const earlier = slot ? idempotent.get(slot) : undefined
    if (earlier && earlier.fingerprint !== fingerprint) {
      return send(res, stripeError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`), headers)
    }
    if (earlier) return send(res, earlier.answer ?? scriptedError(409), earlier.answer ? { ...headers, 'idempotent-replayed': 'true' } : headers)
    if (slot) idempotent.set(slot, { fingerprint })
    // The delay falls inside the work, holding the key: a retry arriving meanwhile gets Stripe's 409.
    await sleep(misbehaviour?.delayMs ?? 0)
    let answer: Answer
    try {
      answer = route(method, url.pathname, method === 'POST' ? body : query, { requestId, idempotencyKey })
    } catch (error) {
      // A gap in the fake, not a Stripe answer: say so, and ask the SDK not to retry it.
      answer = stripeError(500, 'api_error', `fake Stripe: ${(error as Error).message}`)
      headers['stripe-should-retry'] = 'false'
    }
    if (slot && kept(answer)) idempotent.set(slot, { fingerprint, answer })
    else if (slot) idempotent.delete(slot)
    if (misbehaviour?.dropAfterWork) return void req.socket.destroy()
    send(res, answer, headers)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, stripeError(500, 'api_error', `fake Stripe: ${error.message}`), { 'stripe-should-retry': 'false' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    webhookSecret,
    requests,
    events: store.events,
    store,
    addPrice: (price) => store.addPrice(price),
    declineNextPayment: (decline = {}) => store.declineNextPayment({ code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', ...decline }),
    completeCheckout: (sessionId) => store.completeCheckout(sessionId),
    renewSubscription: (subscriptionId, renewal) => store.renewSubscription(subscriptionId, renewal),
    retryInvoice: (invoiceId, retry) => store.retryInvoice(invoiceId, retry),
    updateSubscription: (subscriptionId, patch) => store.updateSubscription(subscriptionId, patch),
    cancelSubscription: (subscriptionId) => store.cancelSubscription(subscriptionId),
    event: (type, object) => store.emit(type, object),
    sign: (event) => {
      // Stripe posts its events as pretty-printed JSON; the signature covers these exact bytes.
      const payload = JSON.stringify(event, null, 2)
      return { payload, header: Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }) }
    },
    script: (misbehaviour) => void script.push(misbehaviour),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
