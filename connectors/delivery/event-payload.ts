import type { Knex } from '../../core/index.ts'
import type { CallPayload, DeliveryEvent, EventType, LeadPayload } from '../connector.ts'

// CRMs show a transcript inline; the full one is a click away in Answerline.
const MAX_TRANSCRIPT_CHARS = 20_000

type Row = Record<string, any>
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString())
const byKey = (rows: Row[], key: string) => new Map(rows.map((row) => [row[key] as string, row]))

/**
 * What each delivery of a batch sends, read when it runs (in five queries for the whole batch):
 * the data as it is now, so a lead corrected since the event is delivered corrected, and one
 * erased since is not delivered at all. A delivery whose subject is gone maps to null.
 */
export async function buildDeliveryEvents(db: Knex, deliveries: Row[], publicBaseUrl: string): Promise<Map<string, DeliveryEvent | null>> {
  const leadIds = deliveries.filter((d) => d.subject_type === 'lead').map((d) => d.subject_id)
  const callSubjects = deliveries.filter((d) => d.subject_type === 'call').map((d) => d.subject_id)
  const [businesses, leads] = await Promise.all([
    db('businesses').whereIn('id', [...new Set(deliveries.map((d) => d.business_id))]).select('id', 'name', 'time_zone'),
    db('leads').whereIn('id', leadIds).orWhereIn('call_id', callSubjects),
  ])
  const leadById = byKey(leads, 'id')
  const leadByCall = byKey(leads, 'call_id')
  const callIds = [...new Set([...callSubjects, ...leads.map((l: Row) => l.call_id)])]
  const [calls, segments, recordings] = await Promise.all([
    db('calls').whereIn('id', callIds),
    db('transcript_segments').whereIn('call_id', callIds).orderBy(['call_id', 'seq']).select('call_id', 'speaker', 'text'),
    // A recording is linked only while the caller's consent stands and the file is complete.
    db('recordings as r').join('consent_records as c', 'c.call_id', 'r.call_id').whereIn('r.call_id', callIds).where({ 'r.status': 'complete', 'c.decision': 'given' }).whereNull('c.withdrawn_at').select('r.call_id'),
  ])
  const callById = byKey(calls, 'id')
  const businessById = byKey(businesses, 'id')
  const recorded = new Set(recordings.map((r: Row) => r.call_id as string))
  const transcripts = new Map<string, string[]>()
  for (const s of segments as Row[]) {
    const lines = transcripts.get(s.call_id) ?? []
    lines.push(`${s.speaker === 'caller' ? 'Caller' : s.speaker === 'agent' ? 'Agent' : 'Note'}: ${s.text}`)
    transcripts.set(s.call_id, lines)
  }
  const events = new Map<string, DeliveryEvent | null>()
  for (const delivery of deliveries) {
    const lead = delivery.subject_type === 'lead' ? leadById.get(delivery.subject_id) : leadByCall.get(delivery.subject_id)
    const call = callById.get(delivery.subject_type === 'call' ? delivery.subject_id : lead?.call_id)
    const business = businessById.get(delivery.business_id)
    const present = business && call && call.business_id === delivery.business_id && (delivery.subject_type !== 'lead' || lead?.business_id === delivery.business_id)
    events.set(
      delivery.id,
      present
        ? {
            id: delivery.event_id,
            type: delivery.event_type as EventType,
            occurredAt: iso(delivery.created_at) as string,
            business: { id: business.id, name: business.name, timeZone: business.time_zone },
            call: callPayload(call, transcripts.get(call.id) ?? [], recorded.has(call.id), publicBaseUrl),
            lead: lead ? leadPayload(lead) : null,
          }
        : null,
    )
  }
  return events
}

function callPayload(call: Row, lines: string[], recorded: boolean, publicBaseUrl: string): CallPayload {
  const transcript = lines.join('\n')
  const callUrl = `${publicBaseUrl}/calls/${call.id}`
  return {
    id: call.id,
    direction: call.direction,
    from: call.from_number,
    to: call.to_number,
    status: call.status,
    startedAt: iso(call.started_at) as string,
    endedAt: iso(call.ended_at),
    durationSeconds: call.duration_seconds,
    escalated: call.escalated,
    outcome: call.outcome,
    summary: call.summary,
    transcript: transcript.length > MAX_TRANSCRIPT_CHARS ? `${transcript.slice(0, MAX_TRANSCRIPT_CHARS)}\n…` : transcript,
    callUrl,
    recordingUrl: recorded ? `${callUrl}/recording` : null,
  }
}

function leadPayload(lead: Row): LeadPayload {
  return {
    id: lead.id,
    status: lead.status,
    name: lead.name,
    email: lead.email,
    phone: lead.phone,
    reason: lead.reason,
    requestedService: lead.requested_service,
    urgency: lead.urgency,
    temperature: lead.temperature,
    callOutcome: lead.call_outcome,
    customFields: lead.custom_fields ?? {},
    needsReview: lead.needs_review,
    createdAt: iso(lead.created_at) as string,
    updatedAt: iso(lead.updated_at) as string,
  }
}
