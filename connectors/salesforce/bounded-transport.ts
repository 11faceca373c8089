import type { HttpRequest, HttpRequestOptions } from 'jsforce'
import type { HttpExchange } from './salesforce-errors.ts'

/** The part of jsforce's Transport we wrap (Connection#_transport, OAuth2#_transport). */
export interface Sender {
  httpRequest(req: HttpRequest, options?: HttpRequestOptions): Promise<HttpExchange>
}

export interface TransportBounds {
  timeoutMs: number
  /** Checked before each request; a throw here rejects the jsforce call (jsforce calls from async code). */
  beforeSend?: (req: HttpRequest) => void
  /** Every answer, for error reports and receipts; null when a request starts. */
  onResponse?: (response: HttpExchange | null) => void
}

/**
 * Bounds every request a jsforce Transport sends. jsforce's fetch layer waits 30 minutes by default
 * and retries GETs on 429/5xx and network errors five times with backoff, ignoring Retry-After;
 * retries belong to the dispatcher, so they are switched off and a timeout is set. jsforce offers
 * no per-connection option for either, hence the wrapper on the instance.
 */
export function boundTransport(sender: Sender, bounds: TransportBounds): void {
  const send = sender.httpRequest.bind(sender)
  sender.httpRequest = (req, options) => {
    bounds.beforeSend?.(req)
    bounds.onResponse?.(null)
    // The StreamPromise itself goes back to jsforce, which also reads its stream().
    const pending = send(req, { ...options, retry: { maxRetries: 0 }, timeout: bounds.timeoutMs })
    pending.then(
      (response) => bounds.onResponse?.({ statusCode: response.statusCode, headers: response.headers, body: typeof response.body === 'string' ? response.body : '' }),
      () => {},
    )
    return pending
  }
}
