import type { Knex } from '../core/index.ts'
import { findCallerData } from './caller-data.ts'
import type { CallerSubject, DataRequestResult } from './data-requests.ts'

type Row = Record<string, any>

const iso = (value: Date | null | undefined) => (value ? new Date(value).toISOString() : null)

/** Rows of `table` belonging to these ids through `column`, grouped by it. */
async function groupedBy(db: Knex, table: string, column: string, ids: string[], order: string): Promise<Map<string, Row[]>> {
  const rows: Row[] = ids.length ? await db(table).whereIn(column, ids).orderBy([column, order]) : []
  const groups = new Map<string, Row[]>()
  for (const row of rows) groups.set(row[column], [...(groups.get(row[column]) ?? []), row])
  return groups
}

/**
 * A caller's data in one business, as a machine-readable archive: their calls with transcripts,
 * consent decisions and recording details (not the audio), their leads with notes and revision
 * history, their contacts, and what was delivered to the business's connectors.
 */
export async function exportCallerData(db: Knex, businessId: string, caller: CallerSubject): Promise<DataRequestResult> {
  const found = await findCallerData(db, businessId, caller)
  const business = await db('businesses').where({ id: businessId }).first('id', 'name')
  const calls: Row[] = found.callIds.length ? await db('calls').whereIn('id', found.callIds).orderBy('started_at') : []
  const leads: Row[] = found.leadIds.length ? await db('leads').whereIn('id', found.leadIds).orderBy('created_at') : []
  const contacts: Row[] = found.contactIds.length ? await db('contacts').whereIn('id', found.contactIds).orderBy('created_at') : []
  const transcripts = await groupedBy(db, 'transcript_segments', 'call_id', found.callIds, 'seq')
  const consents = await groupedBy(db, 'consent_records', 'call_id', found.callIds, 'asked_at')
  const recordings = await groupedBy(db, 'recordings', 'call_id', found.callIds, 'started_at')
  const notes = await groupedBy(db, 'lead_notes', 'lead_id', found.leadIds, 'created_at')
  const revisions = await groupedBy(db, 'lead_revisions', 'lead_id', found.leadIds, 'created_at')
  const archive = {
    format: 'answerline.caller-export.v1',
    exportedAt: new Date().toISOString(),
    business: { id: business?.id ?? businessId, name: business?.name ?? null },
    caller: { phone: caller.phone, email: caller.email },
    calls: calls.map((c) => ({
      id: c.id,
      direction: c.direction,
      from: c.from_number,
      to: c.to_number,
      status: c.status,
      startedAt: iso(c.started_at),
      answeredAt: iso(c.answered_at),
      endedAt: iso(c.ended_at),
      durationSeconds: c.duration_seconds,
      answeredBy: c.answered_by,
      escalated: c.escalated,
      outcome: c.outcome,
      summary: c.summary,
      consent: (consents.get(c.id) ?? []).map((r) => ({ decision: r.decision, method: r.method, attempts: r.attempts, language: r.language, prompt: r.prompt_text, askedAt: iso(r.asked_at), decidedAt: iso(r.decided_at), withdrawnAt: iso(r.withdrawn_at) })),
      transcript: (transcripts.get(c.id) ?? []).map((s) => ({ seq: s.seq, speaker: s.speaker, text: s.text, startedMs: s.started_ms, endedMs: s.ended_ms })),
      recordings: (recordings.get(c.id) ?? []).map((r) => ({ status: r.status, format: r.format, channels: r.channels, bytes: r.bytes === null ? null : Number(r.bytes), durationMs: r.duration_ms, startedAt: iso(r.started_at), completedAt: iso(r.completed_at) })),
    })),
    leads: leads.map((l) => ({
      id: l.id,
      callId: l.call_id,
      contactId: l.contact_id,
      status: l.status,
      temperature: l.temperature,
      name: l.name,
      email: l.email,
      phone: l.phone,
      reason: l.reason,
      requestedService: l.requested_service,
      urgency: l.urgency,
      callOutcome: l.call_outcome,
      customFields: l.custom_fields,
      createdAt: iso(l.created_at),
      updatedAt: iso(l.updated_at),
      notes: (notes.get(l.id) ?? []).map((n) => ({ body: n.body, createdAt: iso(n.created_at) })),
      revisions: (revisions.get(l.id) ?? []).map((r) => ({ changes: r.changes, createdAt: iso(r.created_at) })),
    })),
    contacts: contacts.map((c) => ({ id: c.id, name: c.name, phone: c.phone, email: c.email, createdAt: iso(c.created_at) })),
    deliveredTo: found.deliveredTo,
  }
  return {
    archive,
    counts: { calls: calls.length, transcriptSegments: found.transcriptSegments, recordings: found.recordings, leads: leads.length, contacts: contacts.length, deliveredTo: found.deliveredTo },
  }
}
