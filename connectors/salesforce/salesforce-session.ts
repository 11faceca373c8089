import { Connection, type TokenResponse } from 'jsforce'
import { ConnectorError, type ConnectorContext, type OAuthApp } from '../connector.ts'
import { boundTransport, type TransportBounds } from './bounded-transport.ts'
import type { SalesforceCredentials } from './salesforce-config.ts'
import { tokenErrorToConnectorError, toConnectorError, type HttpExchange } from './salesforce-errors.ts'

/** How a session reaches Salesforce: the OAuth app (for refreshes), the API version, the per-request timeout. */
export interface SessionOptions {
  app: OAuthApp | null
  apiVersion: string
  requestTimeoutMs: number
}

/**
 * One delivery's authenticated jsforce Connection. jsforce itself refreshes an expired session: on
 * a 401 it calls our refresh function and sends the request again. Here that refresh stores the new
 * tokens before the retry goes out, happens at most once (a second 401 right after a refresh would
 * otherwise loop), and every failure becomes a ConnectorError.
 */
export class SalesforceSession {
  readonly conn: Connection
  readonly #ctx: ConnectorContext
  readonly #credentials: SalesforceCredentials
  #lastResponse: HttpExchange | null = null
  #refreshed = false
  #refreshFailure: ConnectorError | null = null

  constructor(ctx: ConnectorContext, credentials: SalesforceCredentials, options: SessionOptions) {
    this.#ctx = ctx
    this.#credentials = credentials
    const { app } = options
    // jsforce refuses a refresh token without OAuth client settings, and without the app no refresh is possible.
    const canRefresh = app !== null && credentials.refreshToken !== undefined
    this.conn = new Connection({
      version: options.apiVersion,
      instanceUrl: credentials.instanceUrl,
      accessToken: credentials.accessToken,
      ...(canRefresh
        ? {
            loginUrl: app.baseUrl,
            refreshToken: credentials.refreshToken,
            oauth2: { clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: app.redirectUri, loginUrl: app.baseUrl },
            refreshFn: (conn, callback) => {
              this.#refresh(conn).then((token) => callback(null, token.access_token, token), (error: Error) => callback(error))
            },
          }
        : {}),
    })
    // Refused once the delivery is aborted, with a timeout and without jsforce's own retries.
    const bounds: TransportBounds = {
      timeoutMs: options.requestTimeoutMs,
      beforeSend: (req) => {
        if (ctx.signal.aborted) throw abortedError(`${req.method} ${new URL(req.url).pathname}`, ctx.signal)
      },
      onResponse: (response) => {
        this.#lastResponse = response
      },
    }
    boundTransport(this.conn._transport, bounds)
    boundTransport(this.conn.oauth2._transport, bounds)
  }

  /** The HTTP status of the last answer (201 for a create, 204 for an update...). */
  get lastStatusCode(): number | null {
    return this.#lastResponse?.statusCode ?? null
  }

  /** Runs jsforce calls; `action` names them in error messages ("creating the Lead"). */
  async run<T>(action: string, call: (conn: Connection) => PromiseLike<T>): Promise<T> {
    const signal = this.#ctx.signal
    if (signal.aborted) throw abortedError(action, signal)
    try {
      return await raceAbort(Promise.resolve(call(this.conn)), signal, () => abortedError(action, signal))
    } catch (error) {
      // jsforce wraps a failed refresh as "Unable to refresh session due to: ..."; the cause kept here says more.
      throw this.#refreshFailure ?? toConnectorError(error, action, this.#lastResponse)
    }
  }

  /**
   * Trades the refresh token once, and stores the new tokens before jsforce retries the request.
   * Saving here rather than in a listener of jsforce's 'refresh' event: that event fires after the
   * fact and cannot be awaited, so a crash right after could lose tokens Salesforce rotated.
   */
  async #refresh(conn: Connection): Promise<TokenResponse> {
    if (this.#refreshed) {
      this.#refreshFailure = new ConnectorError('auth_expired', 'Salesforce refused a freshly refreshed session (INVALID_SESSION_ID); connect Salesforce again', { retryable: false, statusCode: 401 })
      throw this.#refreshFailure
    }
    this.#refreshed = true
    let token: TokenResponse
    try {
      token = await conn.oauth2.refreshToken(this.#credentials.refreshToken as string)
    } catch (error) {
      this.#refreshFailure = tokenErrorToConnectorError(error, 'refreshing the session')
      throw this.#refreshFailure
    }
    if (token.instance_url) conn.instanceUrl = token.instance_url
    try {
      // Salesforce does not rotate refresh tokens unless the connected app asks it to; keep the old one when none comes back.
      await this.#ctx.saveCredentials({
        accessToken: token.access_token,
        refreshToken: token.refresh_token ?? this.#credentials.refreshToken,
        instanceUrl: token.instance_url ?? this.#credentials.instanceUrl,
        issuedAt: token.issued_at,
      })
    } catch (error) {
      this.#refreshFailure = new ConnectorError('unavailable', `storing the refreshed Salesforce tokens failed: ${(error as Error).message}`, { cause: error })
      throw this.#refreshFailure
    }
    return token
  }
}

function abortedError(action: string, signal: AbortSignal): ConnectorError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted'
  return new ConnectorError('unavailable', `Salesforce call cut short while ${action} (${reason})`, { cause: signal.reason })
}

/** Settles with `promise`, or rejects when `signal` aborts: jsforce cannot cancel a request it has sent. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort())
    signal.addEventListener('abort', abort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}
