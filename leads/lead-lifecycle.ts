import { z } from 'zod'
import { type DomainEvent, type Knex, UserInputError } from '../core/index.ts'
import { linkContact } from './contacts.ts'
import { recorded } from './lead-store.ts'
import { readCaptureFields } from './extract-lead.job.ts'
import { TEMPERATURES, URGENCIES } from './extraction/lead-fields.ts'
import { normalizeCustomValue, normalizeEmail, normalizePhone, normalizeText } from './extraction/normalize.ts'

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'won', 'lost'] as const
export type LeadStatus = (typeof LEAD_STATUSES)[number]

/** A person's changes to a lead; absent means unchanged, null means cleared. */
export interface LeadChanges {
  status?: LeadStatus
  ownerUserId?: string | null
  name?: string | null
  email?: string | null
  phone?: string | null
  reason?: string | null
  requestedService?: string | null
  urgency?: (typeof URGENCIES)[number] | null
  temperature?: (typeof TEMPERATURES)[number] | null
  /** Capture-field values by key; null clears one. */
  customFields?: Record<string, unknown>
}

const TEXT_LIMITS = { name: 200, reason: 2000, requested_service: 500 } as const
const bad = (field: string, message: string, code: 'INVALID' | 'NOT_ALLOWED' = 'INVALID') => new UserInputError([{ field: ['input', field], code, message }])

/**
 * Applies a person's edits to a lead (status, owner, and rectification of what was extracted).
 * Every change is kept in lead_revisions with its value before and after, so the history shows who
 * corrected what, and later re-extraction leaves those fields alone. Values are normalized as
 * extraction normalizes them; an invalid one refuses the whole edit. A changed phone or email
 * relinks the lead's contact. Returns the event to publish after commit, or null if nothing changed.
 */
export async function editLead(trx: Knex.Transaction, lead: { id: string; business_id: string }, actorUserId: string | null, changes: LeadChanges): Promise<DomainEvent | null> {
  const current = await trx('leads as l').join('businesses as b', 'b.id', 'l.business_id').leftJoin('calls as c', 'c.id', 'l.call_id').leftJoin('agent_configs as a', 'a.id', 'c.agent_config_id').where('l.id', lead.id).forUpdate('l').first('l.*', 'b.country', 'b.organization_id', 'a.capture_fields')
  const next: Record<string, unknown> = {}
  if (changes.status !== undefined) next.status = changes.status
  if (changes.ownerUserId !== undefined) next.owner_user_id = await checkedOwner(trx, current, changes.ownerUserId)
  const text = (column: keyof typeof TEXT_LIMITS, value: string | null | undefined) => {
    if (value !== undefined) next[column] = value === null ? null : normalizeText(value, TEXT_LIMITS[column])
  }
  text('name', changes.name)
  text('reason', changes.reason)
  text('requested_service', changes.requestedService)
  if (changes.email !== undefined) next.email = changes.email === null || changes.email.trim() === '' ? null : (normalizeEmail(changes.email) ?? throwing(bad('email', 'Enter an email address such as name@example.com')))
  if (changes.phone !== undefined) next.phone = changes.phone === null || changes.phone.trim() === '' ? null : (normalizePhone(changes.phone, current.country) ?? throwing(bad('phone', 'Enter a phone number, with its country code if it is not local')))
  if (changes.urgency !== undefined) next.urgency = changes.urgency
  if (changes.temperature !== undefined) next.temperature = changes.temperature

  const customBefore: Record<string, unknown> = current.custom_fields ?? {}
  const customAfter: Record<string, unknown> = { ...customBefore }
  if (changes.customFields) {
    // The fields of the agent version that took the call; the business's current ones if it had none.
    const configured = current.capture_fields ?? (await trx('agent_configs').where({ business_id: lead.business_id }).orderBy('version', 'desc').first('capture_fields'))?.capture_fields
    const fields = new Map(readCaptureFields(configured).map((f) => [f.key, f]))
    for (const [key, raw] of Object.entries(changes.customFields)) {
      const field = fields.get(key)
      if (!field) throw bad('customFields', `This business has no field "${key}"`, 'NOT_ALLOWED')
      if (raw === null || raw === '') delete customAfter[key]
      else customAfter[key] = normalizeCustomValue(field, raw, current.country) ?? throwing(bad('customFields', `"${field.label}" needs a ${field.type} value`))
    }
  }

  const revision: Record<string, { from: unknown; to: unknown }> = {}
  for (const [column, value] of Object.entries(next)) if (!sameValue(current[column], value)) revision[column] = { from: current[column], to: value }
  for (const key of new Set([...Object.keys(customBefore), ...Object.keys(customAfter)])) {
    if (!sameValue(customBefore[key], customAfter[key])) revision[`custom.${key}`] = { from: customBefore[key] ?? null, to: customAfter[key] ?? null }
  }
  if (Object.keys(revision).length === 0) return null

  const update: Record<string, unknown> = Object.fromEntries(Object.keys(revision).filter((k) => !k.startsWith('custom.')).map((k) => [k, next[k]]))
  if (Object.keys(revision).some((k) => k.startsWith('custom.'))) update.custom_fields = JSON.stringify(customAfter)
  // A field a person set is reviewed; so is reachability once they set a phone or email.
  const reviewed = new Set(Object.keys(revision))
  const review = (current.review_fields as string[]).filter((f) => !reviewed.has(f) && !(f === 'phone' && reviewed.has('email')))
  Object.assign(update, { review_fields: review, needs_review: review.length > 0 })
  if ('phone' in revision || 'email' in revision || ('name' in revision && !current.contact_id)) {
    const merged = { name: (next.name ?? current.name) as string | null, phone: ('phone' in next ? next.phone : current.phone) as string | null, email: ('email' in next ? next.email : current.email) as string | null }
    update.contact_id = await linkContact(trx, lead.business_id, merged)
  }
  await trx('leads').where({ id: lead.id }).update(update)
  await trx('lead_revisions').insert({ lead_id: lead.id, business_id: lead.business_id, changed_by: actorUserId, changes: JSON.stringify(revision) })
  return recorded(trx, { type: 'lead.updated', businessId: lead.business_id, leadId: lead.id, fields: Object.keys(revision) })
}

const noteBody = z.string().trim().min(1, 'Write something').max(10_000, 'Keep a note under 10,000 characters')

/** Adds a note to a lead; returns the note row and the event to publish after commit. */
export async function addLeadNote(trx: Knex.Transaction, lead: { id: string; business_id: string }, authorUserId: string | null, body: string): Promise<{ note: Record<string, unknown>; event: DomainEvent }> {
  const parsed = noteBody.safeParse(body)
  if (!parsed.success) throw bad('body', parsed.error.issues[0]?.message ?? 'Invalid note')
  const [note] = await trx('lead_notes').insert({ lead_id: lead.id, business_id: lead.business_id, author_user_id: authorUserId, body: parsed.data }).returning('*')
  await trx('leads').where({ id: lead.id }).update({ updated_at: trx.fn.now() })
  return { note, event: await recorded(trx, { type: 'lead.updated', businessId: lead.business_id, leadId: lead.id, fields: ['notes'] }) }
}

/**
 * An owner must belong to the lead's organization, with access to its business, and must not have
 * restricted the processing of their data (no new leads are assigned to them; those they have stay).
 */
async function checkedOwner(trx: Knex.Transaction, lead: Record<string, any>, userId: string | null): Promise<string | null> {
  if (userId === null || userId === lead.owner_user_id) return userId
  const member = await trx('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where({ 'm.organization_id': lead.organization_id, 'm.user_id': userId })
    .andWhere((q) => q.whereNull('m.business_id').orWhere({ 'm.business_id': lead.business_id }))
    .first('m.id', 'u.processing_restricted_at')
  if (!member) throw bad('ownerId', 'The owner must be a member with access to this business', 'NOT_ALLOWED')
  if (member.processing_restricted_at) throw bad('ownerId', 'This member has restricted the processing of their data and cannot be given new leads', 'NOT_ALLOWED')
  return userId
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

function throwing(error: Error): never {
  throw error
}
