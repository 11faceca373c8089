import { recordDeliveries, type DomainEvent, type Knex } from '../core/index.ts'
import { linkContact } from './contacts.ts'
import type { CaptureField, Extracted, ExtractedLead } from './extraction/lead-fields.ts'

/** Below this confidence a required value is a guess, and a person should look at it. */
export const REVIEW_CONFIDENCE = 0.5

export type FallbackReason = 'not_configured' | 'unavailable' | 'refused' | 'invalid_output'

export type Extraction =
  | { method: 'model'; lead: ExtractedLead; summary: string | null; model: string; promptVersion: string }
  | { method: 'fallback'; lead: ExtractedLead; reason: FallbackReason }

/** Standard lead fields and their columns. */
const COLUMNS = {
  name: 'name',
  email: 'email',
  phone: 'phone',
  reason: 'reason',
  requestedService: 'requested_service',
  urgency: 'urgency',
  callOutcome: 'call_outcome',
  temperature: 'temperature',
} as const satisfies Record<Exclude<keyof ExtractedLead, 'custom'>, string>

/**
 * Which required fields a person should check: the caller's name, a way to reach them (phone or
 * email), and the business's required capture fields, when missing or below REVIEW_CONFIDENCE.
 */
export function fieldsNeedingReview(lead: ExtractedLead, captureFields: readonly CaptureField[]): string[] {
  const weak = (value: Extracted<unknown> | undefined) => !value || value.confidence < REVIEW_CONFIDENCE
  const review: string[] = []
  if (weak(lead.name)) review.push('name')
  if (weak(lead.phone) && weak(lead.email)) review.push('phone')
  for (const f of captureFields) if (f.required && weak(lead.custom[f.key])) review.push(`custom.${f.key}`)
  return review
}

/**
 * Saves what an extractor found as the call's lead, once: the lead is keyed by its call, so a
 * repeated job updates the same row. A model's answer replaces a fallback lead, but never a model
 * or manual one, and never a value a person has edited since. Links the caller's contact, and
 * stores the summary and outcome on the call. Returns the event to publish once committed, or null
 * when nothing changed.
 */
export async function saveExtraction(trx: Knex.Transaction, call: { id: string; business_id: string }, extraction: Extraction, captureFields: readonly CaptureField[]): Promise<DomainEvent | null> {
  const existing = await trx('leads').where({ call_id: call.id }).forUpdate().first()
  if (existing && (existing.extraction_method !== 'fallback' || extraction.method === 'fallback')) return null
  const edited = existing ? await editedFields(trx, existing.id) : new Set<string>()
  const { lead } = extraction

  const row: Record<string, unknown> = {}
  const evidence: Record<string, { seq: number | null; confidence: number }> = { ...(existing?.evidence ?? {}) }
  for (const [key, column] of Object.entries(COLUMNS)) {
    if (edited.has(column)) continue
    const value = lead[key as keyof typeof COLUMNS]
    row[column] = value?.value ?? null
    if (value) evidence[column] = { seq: value.evidenceSeq, confidence: value.confidence }
    else delete evidence[column]
  }
  const custom: Record<string, unknown> = { ...(existing?.custom_fields ?? {}) }
  for (const f of captureFields) {
    if (edited.has(`custom.${f.key}`)) continue
    const value = lead.custom[f.key]
    if (value) {
      custom[f.key] = value.value
      evidence[`custom.${f.key}`] = { seq: value.evidenceSeq, confidence: value.confidence }
    } else {
      delete custom[f.key]
      delete evidence[`custom.${f.key}`]
    }
  }
  // A field a person edited counts as reviewed; so does reachability, once they set a phone or email.
  const review = fieldsNeedingReview(lead, captureFields).filter((field) => !edited.has(field) && !(field === 'phone' && edited.has('email')))
  Object.assign(row, {
    custom_fields: JSON.stringify(custom),
    evidence: JSON.stringify(evidence),
    extraction_method: extraction.method,
    extraction_model: extraction.method === 'model' ? extraction.model : null,
    prompt_version: extraction.method === 'model' ? extraction.promptVersion : null,
    fallback_reason: extraction.method === 'fallback' ? extraction.reason : null,
    review_fields: review,
    needs_review: review.length > 0,
    extracted_at: trx.fn.now(),
  })
  const contactDetails = { name: (existing && edited.has('name') ? existing.name : row.name) as string | null, phone: (existing && edited.has('phone') ? existing.phone : row.phone) as string | null, email: (existing && edited.has('email') ? existing.email : row.email) as string | null }
  row.contact_id = await linkContact(trx, call.business_id, contactDetails)

  if (extraction.method === 'model') {
    await trx('calls')
      .where({ id: call.id })
      .update({ ...(extraction.summary && { summary: extraction.summary }), outcome: trx.raw('coalesce(outcome, ?)', [lead.callOutcome?.value ?? null]) })
  }
  if (existing) {
    await trx('leads').where({ id: existing.id }).update(row)
    const fields = Object.keys(COLUMNS).filter((key) => !edited.has(COLUMNS[key as keyof typeof COLUMNS]))
    return recorded(trx, { type: 'lead.updated', businessId: call.business_id, leadId: existing.id, fields: [...fields, 'customFields', 'extractionMethod'] })
  }
  const [created] = await trx('leads').insert({ ...row, call_id: call.id, business_id: call.business_id }).returning('id')
  return recorded(trx, { type: 'lead.captured', businessId: call.business_id, leadId: created.id, callId: call.id })
}

/** The event, once its deliveries to the business's connectors are queued in the same transaction. */
export async function recorded(trx: Knex.Transaction, event: DomainEvent): Promise<DomainEvent> {
  await recordDeliveries(trx, event)
  return event
}

/** Columns (and `custom.<key>` fields) a person has changed on this lead: extraction leaves them alone. */
export async function editedFields(db: Knex, leadId: string): Promise<Set<string>> {
  const rows: Array<{ key: string }> = await db.raw('select distinct jsonb_object_keys(changes) as key from lead_revisions where lead_id = ?', [leadId]).then((r: { rows: Array<{ key: string }> }) => r.rows)
  return new Set(rows.map((r) => r.key))
}
