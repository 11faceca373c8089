/** Events and connector contexts for the HubSpot connector's tests; no database involved. */
import type { CallPayload, ConnectorContext, DeliveryEvent, EventType, LeadPayload } from '../../connector.ts'

export interface TestContext extends ConnectorContext {
  /** Every credentials object passed to saveCredentials, in order. */
  saved: Record<string, unknown>[]
}

export function makeContext(options: { baseUrl: string; credentials: Record<string, unknown> | null; config?: Record<string, unknown>; fieldMapping?: Record<string, string>; previousExternalId?: string | null; signal?: AbortSignal }): TestContext {
  const saved: Record<string, unknown>[] = []
  const ctx: TestContext = {
    connector: {
      id: 'connector-1',
      businessId: 'business-1',
      name: 'HubSpot',
      config: { ownerRule: { kind: 'existing' }, ...options.config },
      fieldMapping: options.fieldMapping ?? { firstName: 'firstname', lastName: 'lastname', email: 'email', phone: 'phone' },
    },
    credentials: options.credentials,
    async saveCredentials(credentials) {
      saved.push(credentials)
      ctx.credentials = credentials
    },
    previousExternalId: options.previousExternalId ?? null,
    signal: options.signal ?? new AbortController().signal,
    saved,
  }
  return ctx
}

export function makeCall(overrides: Partial<CallPayload> = {}): CallPayload {
  return {
    id: 'call-0001',
    direction: 'inbound',
    from: '+15551230001',
    to: '+15559870000',
    status: 'completed',
    startedAt: '2026-03-02T15:04:05.000Z',
    endedAt: '2026-03-02T15:07:10.000Z',
    durationSeconds: 185,
    escalated: false,
    outcome: 'lead_captured',
    summary: 'Caller needs a leaking water heater looked at this week.',
    transcript: 'Agent: Thanks for calling Acme Plumbing.\nCaller: My water heater is leaking.',
    callUrl: 'https://app.answerline.test/calls/call-0001',
    recordingUrl: null,
    ...overrides,
  }
}

export function makeLead(overrides: Partial<LeadPayload> = {}): LeadPayload {
  return {
    id: 'lead-0001',
    status: 'new',
    name: 'Mary Ann Smith',
    email: 'Mary.Smith@example.com',
    phone: '+15551230001',
    reason: 'Leaking water heater',
    requestedService: 'water_heater_repair',
    urgency: 'this_week',
    temperature: 'hot',
    callOutcome: 'lead_captured',
    customFields: {},
    needsReview: false,
    createdAt: '2026-03-02T15:07:11.000Z',
    updatedAt: '2026-03-02T15:07:11.000Z',
    ...overrides,
  }
}

export function makeEvent(type: EventType, parts: { lead?: LeadPayload | null; call?: CallPayload | null } = {}): DeliveryEvent {
  return {
    id: `event-${type}-${Math.random().toString(36).slice(2)}`,
    type,
    occurredAt: '2026-03-02T15:07:12.000Z',
    business: { id: 'business-1', name: 'Acme Plumbing', timeZone: 'America/Chicago' },
    call: parts.call === undefined ? makeCall() : parts.call,
    lead: parts.lead === undefined ? makeLead() : parts.lead,
  }
}
