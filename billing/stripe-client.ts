import Stripe from 'stripe'
import type { Config } from '../core/index.ts'

/**
 * The Stripe SDK, aimed at STRIPE_API_URL (Stripe itself, or any server speaking its API); null
 * when billing is off. The SDK retries connection errors, 409s and 5xx (and a 429 only when Stripe
 * says it should) with the same idempotency key; anything else fails the job, which pg-boss retries
 * with backoff. `onError` hears of each failed answer (for metrics).
 */
export function createStripe(config: Config['billing']['stripe'], onError?: (kind: string) => void): Stripe | null {
  if (!config.secretKey) return null
  const url = new URL(config.apiUrl)
  const protocol = url.protocol === 'http:' ? 'http' : 'https'
  // A request that gets no answer (refused, reset, timed out) is no 'response' event: the HTTP
  // client itself reports it, once per attempt as the answers are.
  const httpClient = Stripe.createNodeHttpClient()
  if (onError) {
    const send = httpClient.makeRequest.bind(httpClient)
    httpClient.makeRequest = (...request) =>
      send(...request).catch((error: unknown) => {
        onError('network')
        throw error
      })
  }
  const stripe = new Stripe(config.secretKey, {
    host: url.hostname,
    port: Number(url.port || (protocol === 'http' ? 80 : 443)),
    protocol,
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'Answerline' },
    httpClient,
  })
  // Each answer, retries included, is an event.
  if (onError) stripe.on('response', (event: { status?: number }) => {
    if (event.status !== undefined && event.status >= 400) onError(`http_${Math.floor(event.status / 100)}xx`)
  })
  return stripe
}
