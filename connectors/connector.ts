import type { z } from 'zod'

export type ConnectorKind = 'hubspot' | 'salesforce' | 'webhook'

/** Event types a connector can subscribe to. */
export const EVENT_TYPES = ['call.completed', 'lead.captured', 'lead.updated'] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** A call as delivered to CRMs and webhooks. */
export interface CallPayload {
  id: string
  direction: 'inbound' | 'outbound' | 'test'
  from: string
  to: string
  status: string
  startedAt: string
  endedAt: string | null
  durationSeconds: number | null
  escalated: boolean
  outcome: string | null
  summary: string | null
  /** Plain text, one "Speaker: text" line per turn. */
  transcript: string
  /** Where a person with access reads the call in Answerline. */
  callUrl: string
  /** A link to the recording; only when the caller consented and a recording exists. */
  recordingUrl: string | null
}

/** A lead as delivered: the standard fields, the business's own fields, and its state. */
export interface LeadPayload {
  id: string
  status: string
  name: string | null
  email: string | null
  phone: string | null
  reason: string | null
  requestedService: string | null
  urgency: string | null
  temperature: string | null
  callOutcome: string | null
  customFields: Record<string, unknown>
  needsReview: boolean
  createdAt: string
  updatedAt: string
}

/** What one delivery carries. Built when the delivery runs, from the data as it is then. */
export interface DeliveryEvent {
  /** Unique per event; receivers deduplicate on it (the webhook-id header, say). */
  id: string
  type: EventType
  occurredAt: string
  business: { id: string; name: string; timeZone: string }
  call: CallPayload | null
  lead: LeadPayload | null
}

/** How a CRM record was found: explains whether it was updated or created. */
export type MatchRule = 'email' | 'phone' | 'external_id' | 'created'

export interface DeliveryReceipt {
  /** The CRM record the event landed on (contact or lead id); null for webhooks. */
  externalId: string | null
  matchRule: MatchRule | null
  statusCode?: number
  /** The first part of the target's answer, for the delivery log. */
  responseExcerpt?: string
}

/** What a connector is given to deliver with. */
export interface ConnectorContext {
  connector: { id: string; businessId: string; name: string; config: Record<string, unknown>; fieldMapping: Record<string, string> }
  /** Decrypted credentials (tokens, secrets); null when none are stored. */
  credentials: Record<string, unknown> | null
  /** Stores new credentials (an OAuth refresh, say), sealed again before they reach the database. */
  saveCredentials(credentials: Record<string, unknown>): Promise<void>
  /** The external id an earlier delivery of the same subject to this connector produced, if any. */
  previousExternalId: string | null
  signal: AbortSignal
}

export type ConnectorErrorCode = 'auth_expired' | 'rate_limited' | 'rejected' | 'unavailable'

/**
 * Every vendor failure becomes one of these. `retryable` decides whether the delivery is tried
 * again; `retryAfterMs` carries a vendor's Retry-After.
 */
export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode
  readonly retryable: boolean
  readonly retryAfterMs: number | null
  readonly statusCode: number | null
  readonly responseExcerpt: string | null

  constructor(code: ConnectorErrorCode, message: string, options: { retryable?: boolean; retryAfterMs?: number | null; statusCode?: number | null; responseExcerpt?: string | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'ConnectorError'
    this.code = code
    this.retryable = options.retryable ?? code !== 'rejected'
    this.retryAfterMs = options.retryAfterMs ?? null
    this.statusCode = options.statusCode ?? null
    this.responseExcerpt = options.responseExcerpt ?? null
  }
}

/** OAuth settings of a vendor app, from the environment. */
export interface OAuthApp {
  clientId: string
  clientSecret: string
  /** The vendor's base URL (authorize and token endpoints hang off it); a local server in tests. */
  baseUrl: string
  redirectUri: string
}

/** The web-server OAuth flow of a CRM connector. */
export interface OAuthFlow {
  /** Where to send the business owner to grant access. */
  authorizeUrl(app: OAuthApp, state: string, config: Record<string, unknown>): string
  /** Trades the code from the callback for credentials (tokens and their expiry, instance URL...). */
  exchangeCode(app: OAuthApp, code: string, config: Record<string, unknown>): Promise<Record<string, unknown>>
}

/**
 * What erasing a caller asks of one connector: the records its deliveries landed on, and the
 * Answerline calls and leads (ids only) whose data reached it.
 */
export interface ErasureRequest {
  /** The data request behind the erasure; webhooks send it as the event id, so a repeat is deduplicated. */
  requestId: string
  /** The CRM records deliveries landed on (contact or Lead ids), each once; none for webhooks. */
  externalIds: string[]
  callIds: string[]
  leadIds: string[]
}

/** What a record erased in a target is: a contact or Lead a lead landed on, a call logged on it, a webhook's notice. */
export type ErasedRecord = 'contact' | 'lead' | 'call' | 'task' | 'notice'

/** How erasing one record went: `error` null means it is gone (now, or it already was). */
export interface RecordErasure {
  record: ErasedRecord
  /** The record's id in the target; null for a webhook's notice. */
  externalId: string | null
  error: ConnectorError | null
  /** What the business should know beyond the outcome (the record had been converted, say); never personal data. */
  note?: string
}

/** One delivery target. Adding one is a folder, a registry line and its tests. */
export interface Connector {
  readonly kind: ConnectorKind
  /** Non-secret settings (endpoint URL, owner rule...), validated when a connector is created or changed. */
  readonly configSchema: z.ZodType<Record<string, unknown>>
  /** Secrets given directly (private-app token, webhook secret), when the connector takes them. */
  readonly credentialsSchema: z.ZodType<Record<string, unknown>> | null
  /** Present when credentials come from an OAuth grant. */
  readonly oauth: OAuthFlow | null
  /** Answerline field -> target field, used until the business changes it. */
  readonly defaultFieldMapping: Record<string, string>
  readonly defaultEventTypes: readonly EventType[]
  /** Checks credentials and connectivity without changing anything in the target. */
  test(ctx: ConnectorContext): Promise<void>
  /** Delivers one event; idempotent, since a delivery interrupted by a crash runs again. */
  deliver(event: DeliveryEvent, ctx: ConnectorContext): Promise<DeliveryReceipt>
  /**
   * Removes what deliveries left in the target where its API allows: one answer per external id it
   * is given, and one per logged call it found and removed. Throws a ConnectorError when nothing
   * could be tried (credentials refused, the target down before the first deletion).
   */
  erase?(request: ErasureRequest, ctx: ConnectorContext): Promise<RecordErasure[]>
}
