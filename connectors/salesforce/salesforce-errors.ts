import { ConnectorError } from '../connector.ts'

const EXCERPT_CHARS = 500
// REQUEST_LIMIT_EXCEEDED (403) means the org's rolling 24-hour API allowance or its concurrent
// long-request cap is used up; Salesforce sends no Retry-After, so wait at least a minute.
// https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm
const REQUEST_LIMIT_RETRY_MS = 60_000
// A 429 or 503 without Retry-After waits at least this long.
const DEFAULT_RETRY_AFTER_MS = 30_000
// Row-lock contention and maintenance windows: Salesforce's own advice is to try again later.
const TRANSIENT_CODES = new Set(['UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE'])

/** The answer the failing request got, as jsforce's transport saw it. */
export interface HttpExchange {
  statusCode: number
  headers: Record<string, string>
  body: string
}

/** One entry of Salesforce's REST error body `[{errorCode, message, fields}]`. */
interface RestError {
  errorCode: string
  message: string
  fields?: string[]
  duplicateResult?: { matchResults?: Array<{ matchRecords?: Array<{ record?: { Id?: string } }> }> }
}

/** jsforce's HttpApiError: errorCode and message from the body; `data` is the error entry (or all of them). */
interface JsforceApiError extends Error {
  errorCode: string
  data?: unknown
}

/** True for jsforce's HttpApiError: Salesforce answered, with an error code. */
export function isApiError(error: unknown): error is JsforceApiError {
  return error instanceof Error && typeof (error as { errorCode?: unknown }).errorCode === 'string'
}

/** The errors an API error carries: one entry, or all of them when jsforce reports MULTIPLE_API_ERRORS. */
function restErrorsOf(error: JsforceApiError): RestError[] {
  const data = error.data
  const entries = Array.isArray(data) ? data : data && typeof data === 'object' ? [data] : []
  const errors = entries.filter((e): e is RestError => !!e && typeof e === 'object' && typeof (e as RestError).errorCode === 'string')
  return errors.length > 0 ? errors : [{ errorCode: error.errorCode, message: error.message }]
}

/** The jsforce error behind `error`, which may be a ConnectorError wrapping it. */
function apiErrorOf(error: unknown): JsforceApiError | null {
  const inner = error instanceof ConnectorError ? error.cause : error
  return isApiError(inner) ? inner : null
}

/** The Salesforce error codes (REQUIRED_FIELD_MISSING...) behind `error`; none when it got no answer. */
export function errorCodesOf(error: unknown): string[] {
  const apiError = apiErrorOf(error)
  return apiError ? restErrorsOf(apiError).map((e) => e.errorCode) : []
}

// A record deleted (in the recycle bin, or merged away) answers ENTITY_IS_DELETED; an id never known, NOT_FOUND.
const GONE = new Set(['ENTITY_IS_DELETED', 'NOT_FOUND'])

/** True when `error` says the record no longer exists. */
export function isRecordGone(error: unknown): boolean {
  return errorCodesOf(error).some((code) => GONE.has(code))
}

/**
 * The records a duplicate rule matched, when it blocked a save (DUPLICATES_DETECTED) and named
 * them in its duplicateResult (matchResults[].matchRecords[].record.Id).
 */
export function duplicateMatchIds(error: unknown): string[] {
  const apiError = apiErrorOf(error)
  if (!apiError || !errorCodesOf(apiError).includes('DUPLICATES_DETECTED')) return []
  return restErrorsOf(apiError).flatMap((e) => e.duplicateResult?.matchResults ?? []).flatMap((m) => m.matchRecords ?? []).flatMap((r) => (r.record?.Id ? [r.record.Id] : []))
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}

function describe(errors: RestError[]): string {
  return errors.map(describeOne).join('; ')
}

function describeOne(e: RestError): string {
  // Without a JSON error body jsforce names the error ERROR_HTTP_<status> and fills the message with
  // the body or its own advice; the status says enough, the excerpt keeps the body.
  if (/^ERROR_HTTP_\d{3}$/.test(e.errorCode)) return `HTTP ${e.errorCode.slice(-3)}`
  return `${e.errorCode}: ${e.message}${e.fields?.length ? ` (fields: ${e.fields.join(', ')})` : ''}`
}

/**
 * Maps a failed REST call to the connector's closed codes. `action` names the call in the message
 * ("creating the Lead"); `response` is what the request got back, when it got anything.
 */
export function toConnectorError(error: unknown, action: string, response: HttpExchange | null): ConnectorError {
  if (error instanceof ConnectorError) return error
  if (!isApiError(error)) {
    // No answer at all: refused connection, reset socket, jsforce's per-request timeout (AbortError).
    if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
      return new ConnectorError('unavailable', `Salesforce did not answer in time while ${action}`, { cause: error })
    }
    const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code
    const reason = error instanceof Error ? `${error.name}: ${error.message}${typeof code === 'string' ? ` (${code})` : ''}` : String(error)
    return new ConnectorError('unavailable', `Salesforce did not answer while ${action} (${reason})`, { cause: error })
  }
  const status = response?.statusCode ?? Number(/^ERROR_HTTP_(\d{3})$/.exec(error.errorCode)?.[1] ?? NaN)
  const statusCode = Number.isNaN(status) ? null : status
  const responseExcerpt = response ? response.body.slice(0, EXCERPT_CHARS) : null
  const retryAfterMs = parseRetryAfter(response?.headers['retry-after'])
  const errors = restErrorsOf(error)
  const codes = new Set(errors.map((e) => e.errorCode))
  const detail = describe(errors)
  const base = { statusCode, responseExcerpt, cause: error }

  if (codes.has('REQUEST_LIMIT_EXCEEDED')) {
    return new ConnectorError('rate_limited', `Salesforce API limit reached while ${action}: ${detail}`, { ...base, retryAfterMs: retryAfterMs ?? REQUEST_LIMIT_RETRY_MS })
  }
  if (status === 429) {
    return new ConnectorError('rate_limited', `Salesforce is rate limiting (${action}): ${detail}`, { ...base, retryAfterMs: retryAfterMs ?? DEFAULT_RETRY_AFTER_MS })
  }
  if (status === 401 || codes.has('INVALID_SESSION_ID')) {
    // Reached only when no refresh was possible (no refresh token or OAuth app); see salesforce-session.ts.
    return new ConnectorError('auth_expired', `Salesforce refused the session while ${action}: ${detail}; connect Salesforce again`, { ...base, retryable: false })
  }
  if (status >= 500 || [...codes].some((code) => TRANSIENT_CODES.has(code))) {
    return new ConnectorError('unavailable', `Salesforce failed while ${action}: ${detail}`, { ...base, retryAfterMs: retryAfterMs ?? (status === 503 ? DEFAULT_RETRY_AFTER_MS : null) })
  }
  // Everything else is about this record or this org's setup (validation rules, required or unknown
  // fields, duplicate rules, permissions): the same request fails the same way until someone acts.
  return new ConnectorError('rejected', `Salesforce rejected ${action}: ${detail}`, { ...base, retryable: false })
}

/**
 * Maps a failed call to the OAuth token endpoint. jsforce names the error after the endpoint's
 * `error` (invalid_grant...) or ERROR_HTTP_<status> when the body was not JSON.
 */
export function tokenErrorToConnectorError(error: unknown, action: 'refreshing the session' | 'exchanging the code'): ConnectorError {
  if (error instanceof ConnectorError) return error
  const name = error instanceof Error ? error.name : ''
  const message = error instanceof Error ? error.message : String(error)
  const status = Number(/^ERROR_HTTP_(\d{3})$/.exec(name)?.[1] ?? NaN)
  if (status >= 500 || status === 429 || !(error instanceof Error) || error instanceof TypeError || name === 'AbortError' || name === 'TimeoutError') {
    return new ConnectorError('unavailable', `Salesforce's token endpoint failed while ${action} (${name}: ${message})`, { cause: error, statusCode: Number.isNaN(status) ? null : status })
  }
  // invalid_grant (revoked or expired refresh token), inactive_user, inactive_org...: only a person
  // reconnecting helps, so a refused refresh stops the connector.
  if (action === 'refreshing the session') {
    return new ConnectorError('auth_expired', `Salesforce refused the refresh token (${name}: ${message}); connect Salesforce again`, { retryable: false, cause: error })
  }
  return new ConnectorError('rejected', `Salesforce refused the grant while ${action} (${name}: ${message})`, { retryable: false, cause: error })
}
