import { ConnectorError } from '../connector.ts'

// HubSpot's 429 usually carries no Retry-After (it sends X-HubSpot-RateLimit-* headers and a
// policyName instead); its burst window is 10 s, so a 429 without one waits that long.
// https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details
const DEFAULT_RETRY_AFTER_MS = 10_000
const EXCERPT_CHARS = 500

/** The shape of the SDK's ApiException; each generated module has its own class, so match by shape. */
interface HubSpotApiError {
  code: number
  body: unknown
  headers: Record<string, string>
}

/** True for the SDK's ApiException of any module (contacts, objects/calls, oauth...). */
export function isHubSpotApiError(error: unknown): error is HubSpotApiError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number'
}

/** The HTTP status of an SDK error, or null when the request never got an answer. */
export function statusOf(error: unknown): number | null {
  return isHubSpotApiError(error) ? error.code : null
}

/** HubSpot's error body `{status, message, category, correlationId}`; the message is what a person can act on. */
export function vendorMessage(error: HubSpotApiError): string {
  const body = error.body as { message?: unknown } | string | null | undefined
  if (body && typeof body === 'object' && typeof body.message === 'string') return body.message
  if (typeof body === 'string' && body.length > 0) return body.slice(0, EXCERPT_CHARS)
  return `HTTP ${error.code}`
}

function excerptOf(body: unknown): string | null {
  if (body === undefined || body === null) return null
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return text.slice(0, EXCERPT_CHARS)
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(value: string | undefined): number | null {
  if (!value) return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}

// Node's system errors (ECONNRESET, ECONNREFUSED, ETIMEDOUT, ENOTFOUND, EAI_AGAIN...) and the SDK's
// own failures to read a non-JSON answer (a proxy's HTML 502, an empty body): HubSpot was not reached
// or did not answer properly, which heals by itself.
function isTransportError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && /^(E[A-Z]+|ERR_(STREAM|SOCKET|HTTP)_\w+|UND_ERR_\w+)$/.test(code)) return true
  if (error.message === 'fetch failed' || error.message === 'socket hang up') return true
  return /Cannot parse content|is not supported by ObjectSerializer|Unexpected (token|end of JSON)/.test(error.message)
}

/**
 * Turns whatever a HubSpot call threw into a ConnectorError with the closed codes the dispatcher
 * retries on: 401 auth_expired (not retryable: a person must reconnect), 403 rejected (missing
 * scopes), 429 rate_limited, 5xx / network / timeout unavailable, other 4xx rejected. Errors that
 * are neither HubSpot's nor the network's (bugs) are rethrown as they are.
 */
export function toConnectorError(error: unknown, signal: AbortSignal, action: string): ConnectorError {
  if (error instanceof ConnectorError) return error
  if (signal.aborted) {
    return new ConnectorError('unavailable', `HubSpot did not answer in time (${action})`, { retryable: true, cause: error })
  }
  if (isHubSpotApiError(error)) {
    const status = error.code
    const details = { statusCode: status, responseExcerpt: excerptOf(error.body), cause: error }
    const message = `HubSpot answered ${status} to ${action}: ${vendorMessage(error)}`
    if (status === 401) return new ConnectorError('auth_expired', message, { ...details, retryable: false })
    if (status === 403) return new ConnectorError('rejected', `${message} (the token lacks a scope this connector needs)`, { ...details, retryable: false })
    if (status === 429) {
      const after = retryAfterMs(error.headers?.['retry-after']) ?? DEFAULT_RETRY_AFTER_MS
      return new ConnectorError('rate_limited', message, { ...details, retryable: true, retryAfterMs: after })
    }
    if (status >= 500 || status === 408) return new ConnectorError('unavailable', message, { ...details, retryable: true })
    return new ConnectorError('rejected', message, { ...details, retryable: false })
  }
  if (isTransportError(error)) {
    return new ConnectorError('unavailable', `HubSpot could not be reached (${action}): ${(error as Error).message}`, { retryable: true, cause: error })
  }
  throw error
}
