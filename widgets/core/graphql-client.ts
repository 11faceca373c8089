import { createClient, type Client } from 'graphql-ws'

/** graphql-ws's Forbidden: the socket's credential was refused. */
const forbidden = (event: unknown) => (event as { code?: unknown } | null)?.code === 4403

/** Gives a fresh embed token; the host page's server mints it (widgets never see API keys). */
export type TokenProvider = () => Promise<string> | string

export class GraphQLRequestError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

export interface ClientOptions {
  /** The api's origin, e.g. https://api.answerline.example; '' means this page's origin. */
  apiBase: string
  token: string | null
  tokenProvider: TokenProvider | null
}

/**
 * The small GraphQL client the widgets share: POST for queries and mutations, graphql-ws for
 * subscriptions, the embed token as a bearer credential (never cookies), and one retry with a
 * fresh token from the host's provider when the token has expired.
 */
export class GraphQLClient {
  #options: ClientOptions
  #token: string | null
  #socket: Client | null = null

  constructor(options: ClientOptions) {
    this.#options = options
    this.#token = options.token
  }

  async #freshToken(): Promise<string | null> {
    if (!this.#options.tokenProvider) return null
    this.#token = await this.#options.tokenProvider()
    return this.#token
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}, retried = false): Promise<T> {
    if (!this.#token) await this.#freshToken()
    const response = await fetch(`${this.#options.apiBase}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(this.#token && { authorization: `Bearer ${this.#token}` }) },
      body: JSON.stringify({ query, variables }),
      credentials: 'omit',
    })
    const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> }
    const error = body.errors?.[0]
    if (error?.extensions?.code === 'UNAUTHENTICATED' && !retried && this.#options.tokenProvider) {
      await this.#freshToken()
      return this.request(query, variables, true)
    }
    if (error || !body.data) throw new GraphQLRequestError(error?.extensions?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText)
    return body.data
  }

  /** Streams a subscription; returns the function that ends it. */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, onError: (error: Error) => void): () => void {
    this.#socket ??= createClient({
      url: `${(this.#options.apiBase || location.origin).replace(/^http/, 'ws')}/graphql`,
      connectionParams: async () => ({ authorization: `Bearer ${this.#token ?? (await this.#freshToken()) ?? ''}` }),
      lazy: true,
      retryAttempts: Infinity,
      // The api closes a socket whose credential stopped being valid (4403: an embed token past its
      // expiry, a revoked key). Reconnecting with the same token cannot help: the next attempt
      // asks the host's provider for a fresh one, and without a provider the socket stays closed.
      shouldRetry: (event) => !forbidden(event) || this.#options.tokenProvider !== null,
      on: {
        closed: (event) => {
          if (forbidden(event) && this.#options.tokenProvider) this.#token = null
        },
      },
    })
    return this.#socket.subscribe<T>({ query, variables }, {
      next: (value) => value.data && onData(value.data as T),
      error: (error) => onError(error instanceof Error ? error : new Error('subscription failed')),
      complete: () => {},
    })
  }

  dispose(): void {
    void this.#socket?.dispose()
    this.#socket = null
  }
}
