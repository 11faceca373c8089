import type { CallPayload, ConnectorContext, DeliveryEvent, EventType, LeadPayload, OAuthApp } from '../../connector.ts'
import { DEFAULT_FIELD_MAPPING } from '../map-lead.ts'
import type { FakeSalesforce } from './fake-salesforce.ts'

/** The connected app as the registry would build it, pointing at the fake. */
export function appFor(fake: FakeSalesforce): OAuthApp {
  return { clientId: fake.clientId, clientSecret: fake.clientSecret, baseUrl: fake.baseUrl, redirectUri: 'https://answerline.test/connectors/oauth/callback' }
}

export function makeLead(overrides: Partial<LeadPayload> = {}): LeadPayload {
  return {
    id: '7d0c6a3e-3f5b-4c1e-9a51-2b8f0f6d9e01',
    status: 'new',
    name: 'Mary Ann Smith',
    email: 'mary@example.com',
    phone: '+15551234567',
    reason: 'Water heater leaking',
    requestedService: 'Plumbing repair',
    urgency: 'today',
    temperature: 'hot',
    callOutcome: 'booked',
    customFields: {},
    needsReview: false,
    createdAt: '2026-03-02T15:04:05.000Z',
    updatedAt: '2026-03-02T15:04:05.000Z',
    ...overrides,
  }
}

export function makeCall(overrides: Partial<CallPayload> = {}): CallPayload {
  return {
    id: 'c0ffee00-1111-4222-8333-444455556666',
    direction: 'inbound',
    from: '+15551234567',
    to: '+15557654321',
    status: 'completed',
    // 03:30 UTC is still the evening before in New York.
    startedAt: '2026-03-03T03:30:00.000Z',
    endedAt: '2026-03-03T03:33:05.000Z',
    durationSeconds: 185,
    escalated: false,
    outcome: 'lead_captured',
    summary: 'Caller has a leaking water heater and wants someone today.',
    transcript: 'Agent: Thanks for calling.\nCaller: My water heater is leaking.',
    callUrl: 'https://answerline.test/calls/c0ffee00-1111-4222-8333-444455556666',
    recordingUrl: 'https://answerline.test/calls/c0ffee00-1111-4222-8333-444455556666/recording',
    ...overrides,
  }
}

export function makeEvent(type: EventType, parts: { lead?: LeadPayload | null; call?: CallPayload | null } = {}): DeliveryEvent {
  return {
    id: `evt-${type}-${Math.random().toString(36).slice(2)}`,
    type,
    occurredAt: '2026-03-03T03:34:00.000Z',
    business: { id: 'biz-1', name: 'Acme Plumbing', timeZone: 'America/New_York' },
    call: parts.call === undefined ? makeCall() : parts.call,
    lead: parts.lead === undefined ? makeLead() : parts.lead,
  }
}

/** A context as the dispatcher builds one; `saved` records every saveCredentials call. */
export function makeContext(
  credentials: Record<string, unknown> | null,
  options: { config?: Record<string, unknown>; fieldMapping?: Record<string, string>; previousExternalId?: string | null; signal?: AbortSignal } = {},
): ConnectorContext & { saved: Array<Record<string, unknown>> } {
  const saved: Array<Record<string, unknown>> = []
  return {
    connector: { id: 'conn-1', businessId: 'biz-1', name: 'Salesforce', config: options.config ?? {}, fieldMapping: options.fieldMapping ?? { ...DEFAULT_FIELD_MAPPING } },
    credentials,
    async saveCredentials(next) {
      saved.push(next)
    },
    previousExternalId: options.previousExternalId ?? null,
    signal: options.signal ?? new AbortController().signal,
    saved,
  }
}

/** The fake's requests to REST resources (not the token endpoint), as "METHOD /path-after-version". */
export function restCalls(fake: FakeSalesforce): string[] {
  return fake.requests.filter((r) => r.path.startsWith('/services/data/')).map((r) => `${r.method} ${r.path.replace(/^\/services\/data\/v\d+\.\d/, '')}`)
}
