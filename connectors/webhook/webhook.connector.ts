import { createHmac } from 'node:crypto'
import type { lookup as dnsLookup } from 'node:dns'
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { z } from 'zod'
import { ConnectorError, EVENT_TYPES, type Connector, type ConnectorContext, type DeliveryEvent, type DeliveryReceipt } from '../connector.ts'
import { checkTargetUrl, guardedLookup, PrivateTargetError } from './target-guard.ts'
import { signingSecrets, webhookCredentialsSchema } from './webhook-secrets.ts'

// A receiver that takes longer than this is treated as down; the delivery is retried.
const TIMEOUT_MS = 15_000
const EXCERPT_CHARS = 500
// Without Retry-After, a 429 or 503 waits at least this long.
const DEFAULT_RETRY_AFTER_MS = 30_000

/**
 * Standard Webhooks (https://www.standardwebhooks.com): the body is `{type, timestamp, data}`;
 * `webhook-id` is the event id (the same on every retry, so receivers deduplicate on it),
 * `webhook-timestamp` the send time in seconds, and `webhook-signature` one `v1,<base64>` per
 * signing secret (two during a rotation): HMAC-SHA256 over `id.timestamp.body` keyed with the
 * secret's bytes after `whsec_`.
 */
export function signWebhook(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets.map((secret) => `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`).join(' ')
}

export function createWebhookConnector(options: { allowPrivateTargets: boolean; resolve?: typeof dnsLookup }): Connector {
  // Keep-alive agents whose DNS lookup refuses private addresses (see target-guard.ts).
  const lookup = guardedLookup(options.allowPrivateTargets, options.resolve) as never
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: 64, lookup }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64, lookup }),
  }
  const configSchema = z.object({
    url: z.string().superRefine((url, issue) => {
      const problem = checkTargetUrl(url, options.allowPrivateTargets)
      if (problem) issue.addIssue({ code: 'custom', message: problem })
    }),
  })

  async function post(ctx: ConnectorContext, event: DeliveryEvent | { id: string; type: 'ping' | 'caller.erased'; occurredAt: string }, data: unknown): Promise<DeliveryReceipt> {
    const { url } = configSchema.parse(ctx.connector.config)
    const credentials = webhookCredentialsSchema.parse(ctx.credentials)
    const body = JSON.stringify({ type: event.type, timestamp: event.occurredAt, data })
    const timestamp = Math.floor(Date.now() / 1000)
    const target = new URL(url)
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Answerline-Webhooks/1',
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(signingSecrets(credentials), event.id, timestamp, body),
    }
    const response = await new Promise<{ status: number; headers: IncomingMessage['headers']; excerpt: string }>((resolve, reject) => {
      const outgoing = send(target, { method: 'POST', headers, agent: agents[target.protocol as 'http:' | 'https:'], signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]) }, (incoming) => {
        let excerpt = ''
        incoming.setEncoding('utf8')
        incoming.on('data', (chunk: string) => {
          if (excerpt.length < EXCERPT_CHARS) excerpt += chunk.slice(0, EXCERPT_CHARS - excerpt.length)
        })
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, excerpt }))
        incoming.on('error', reject)
      })
      outgoing.on('error', reject)
      outgoing.end(body)
    }).catch((error: unknown) => {
      if (error instanceof PrivateTargetError) throw new ConnectorError('rejected', error.message, { cause: error })
      throw new ConnectorError('unavailable', `the endpoint did not answer: ${(error as Error).message}`, { cause: error })
    })
    if (response.status >= 200 && response.status < 300) return { externalId: null, matchRule: null, statusCode: response.status, responseExcerpt: response.excerpt }
    const details = { statusCode: response.status, responseExcerpt: response.excerpt }
    // 410 Gone: the receiver says this endpoint is retired; retrying would only annoy it.
    if (response.status === 410) throw new ConnectorError('rejected', 'the endpoint answered 410 Gone', { ...details, retryable: false })
    if (response.status === 429 || response.status === 503) {
      throw new ConnectorError(response.status === 429 ? 'rate_limited' : 'unavailable', `the endpoint answered ${response.status}`, { ...details, retryAfterMs: retryAfterMs(response.headers['retry-after']) ?? DEFAULT_RETRY_AFTER_MS })
    }
    // Any other answer is retried: receivers fail in many ways that heal (deploys, bad config fixed later).
    throw new ConnectorError('unavailable', `the endpoint answered ${response.status}`, { ...details, retryable: true })
  }

  return {
    kind: 'webhook',
    configSchema,
    credentialsSchema: null,
    oauth: null,
    defaultFieldMapping: {},
    defaultEventTypes: EVENT_TYPES,
    async test(ctx) {
      await post(ctx, { id: `ping_${Date.now()}`, type: 'ping', occurredAt: new Date().toISOString() }, { message: 'Answerline test delivery' })
    },
    deliver: (event, ctx) => post(ctx, event, { business: event.business, call: event.call, lead: event.lead }),
    /**
     * Tells the endpoint that a caller was erased, so it deletes its copies: ids only (the data
     * request, the calls and leads it received), signed like every delivery. The data request id is
     * the webhook-id, so a repeated erasure is one event to the receiver. Sent whatever events the
     * endpoint subscribes to: a receiver holding personal data must hear of its erasure.
     */
    async erase(request, ctx) {
      const event = { id: request.requestId, type: 'caller.erased' as const, occurredAt: new Date().toISOString() }
      await post(ctx, event, { business: { id: ctx.connector.businessId }, dataRequestId: request.requestId, callIds: request.callIds, leadIds: request.leadIds })
      return [{ record: 'notice', externalId: null, error: null }]
    },
  }
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header
  if (!value) return null
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}
