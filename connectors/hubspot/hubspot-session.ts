import type { Client } from '@hubspot/api-client'
import { ConnectorError, type ConnectorContext, type OAuthApp } from '../connector.ts'
import { createBoundClient, type BoundClient } from './hubspot-client.ts'
import { statusOf, toConnectorError } from './hubspot-errors.ts'
import { expiresSoon, readCredentials, refreshTokens, type HubSpotCredentials } from './hubspot-oauth.ts'

/** Rejects when `signal` aborts, so a request the SDK cannot cancel never holds a delivery. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * One delivery's authenticated access to HubSpot: refreshes OAuth tokens that are about to expire
 * (and stores the new ones), retries a call once after a 401 with a freshly refreshed token, maps
 * every failure to a ConnectorError, and ends requests in flight when the delivery is aborted.
 */
export class HubSpotSession {
  readonly #ctx: ConnectorContext
  readonly #app: OAuthApp | null
  readonly #basePath: string
  readonly #signal: AbortSignal
  #credentials: HubSpotCredentials
  #bound: BoundClient
  #refreshedAfter401 = false

  private constructor(ctx: ConnectorContext, app: OAuthApp | null, basePath: string, signal: AbortSignal, credentials: HubSpotCredentials) {
    this.#ctx = ctx
    this.#app = app
    this.#basePath = basePath
    this.#signal = signal
    this.#credentials = credentials
    this.#bound = this.#bind()
  }

  /** Reads the stored credentials, refreshing OAuth tokens that expire within five minutes. */
  static async open(ctx: ConnectorContext, options: { app: OAuthApp | null; basePath: string; timeoutMs: number }): Promise<HubSpotSession> {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(options.timeoutMs)])
    const session = new HubSpotSession(ctx, options.app, options.basePath, signal, readCredentials(ctx.credentials))
    const credentials = session.#credentials
    if (credentials.kind === 'oauth' && options.app && expiresSoon(credentials.tokens)) {
      try {
        await session.#refresh()
      } catch (error) {
        session.close()
        throw error
      }
    }
    return session
  }

  /** Runs one SDK call; `action` names it in error messages ("the contact search"). */
  async run<T>(action: string, call: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await raceAbort(call(this.#bound.client), this.#signal)
    } catch (error) {
      if (statusOf(error) === 401 && this.#canRefreshAfter401()) {
        // HubSpot answers 401 for a token revoked or expired early (clock skew, a reinstall):
        // one refresh and one more try, then it is a person's problem.
        this.#refreshedAfter401 = true
        await this.#refresh()
        try {
          return await raceAbort(call(this.#bound.client), this.#signal)
        } catch (retryError) {
          throw toConnectorError(retryError, this.#signal, action)
        }
      }
      throw toConnectorError(error, this.#signal, action)
    }
  }

  close(): void {
    this.#bound.close()
  }

  #canRefreshAfter401(): boolean {
    return this.#credentials.kind === 'oauth' && this.#app !== null && !this.#refreshedAfter401
  }

  async #refresh(): Promise<void> {
    const credentials = this.#credentials
    if (credentials.kind !== 'oauth' || !this.#app) throw new ConnectorError('auth_expired', 'HubSpot OAuth tokens cannot be refreshed without the OAuth app', { retryable: false })
    const tokens = await refreshTokens(this.#app, credentials.tokens, this.#signal)
    await this.#ctx.saveCredentials({ ...tokens })
    this.#credentials = { kind: 'oauth', tokens }
    this.#bound.close()
    this.#bound = this.#bind()
  }

  #bind(): BoundClient {
    const credentials = this.#credentials
    const accessToken = credentials.kind === 'oauth' ? credentials.tokens.accessToken : credentials.accessToken
    return createBoundClient({ basePath: this.#basePath, accessToken, signal: this.#signal })
  }
}
