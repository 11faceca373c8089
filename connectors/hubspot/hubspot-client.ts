import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { Duplex } from 'node:stream'
import { Client } from '@hubspot/api-client'

/** The public HubSpot API; OAuth tokens are also issued here (POST /oauth/v1/token). */
export const HUBSPOT_API_BASE_URL = 'https://api.hubapi.com'

/** An SDK client bound to one delivery's abort signal; close() frees its sockets. */
export interface BoundClient {
  readonly client: Client
  close(): void
}

/**
 * An agent whose sockets are destroyed when `signal` aborts. The SDK's generated APIs take no
 * AbortSignal, but they do pass a configured `httpAgent` to `http.request` (src/services/http/Transport.ts,
 * sendNodeRequest), so killing the socket is how an abort or timeout really ends a request in flight
 * instead of leaving it running after we stopped waiting.
 */
function createAbortingAgent(basePath: string, signal: AbortSignal): HttpAgent {
  const agent = new URL(basePath).protocol === 'https:' ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false })
  const open = new Set<Duplex>()
  const createConnection = agent.createConnection.bind(agent)
  agent.createConnection = (options, callback) => {
    const socket = createConnection(options, callback)
    if (socket) {
      if (signal.aborted) socket.destroy(abortError(signal))
      open.add(socket)
      socket.once('close', () => open.delete(socket))
    }
    return socket
  }
  signal.addEventListener('abort', () => {
    for (const socket of open) socket.destroy(abortError(signal))
  }, { once: true })
  return agent
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted')
}

/**
 * Builds an SDK client for one delivery. `basePath` replaces https://api.hubapi.com in every
 * generated API (ApiClientConfigurator.getBaseServer); it must be an origin without a trailing
 * slash, since the SDK appends paths like /crm/v3/objects/contacts to it verbatim.
 */
export function createBoundClient(options: { basePath: string; accessToken?: string; signal: AbortSignal }): BoundClient {
  const httpAgent = createAbortingAgent(options.basePath, options.signal)
  const client = new Client({
    basePath: options.basePath.replace(/\/+$/, ''),
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    // The dispatcher owns retries and backoff; the SDK's RetryDecorator would sleep up to a minute
    // inside one delivery and hide the 429s and 5xx the dispatcher needs to see.
    numberOfApiCallRetries: 0,
    httpAgent,
  })
  // The SDK keeps its decorators (retry, limiter) in a process-wide singleton that every `new
  // Client()` overwrites, and applies them when an API group is first touched. Touch ours now,
  // while the singleton still holds this client's empty list.
  void client.crm.contacts
  void client.crm.objects.calls
  void client.oauth
  return { client, close: () => httpAgent.destroy() }
}
