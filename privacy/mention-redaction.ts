import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { Knex } from '../core/index.ts'
import type { CallerSubject } from './data-requests.ts'

export const REDACTED = '[erased]'

// How people and transcription write the gaps in a number: spaces, dots, dashes, brackets.
const DIGIT_GAP = '[[:space:]().-]{0,3}'

/**
 * Free text of one business that can quote a caller who is not its subject (another caller saying
 * "call my neighbour on ...", a note, a delivery's payload or its endpoint's answer), by the SQL
 * that reaches the business's rows through an index.
 */
const MENTION_COLUMNS: Array<{ table: string; column: string; json?: boolean; scope: (q: Knex.QueryBuilder, db: Knex, businessId: string) => void }> = [
  { table: 'transcript_segments', column: 'text', scope: (q, db, b) => void q.whereIn('call_id', db('calls').where({ business_id: b }).select('id')) },
  { table: 'calls', column: 'summary', scope: (q, _db, b) => void q.where({ business_id: b }) },
  { table: 'leads', column: 'reason', scope: (q, _db, b) => void q.where({ business_id: b }) },
  { table: 'leads', column: 'requested_service', scope: (q, _db, b) => void q.where({ business_id: b }) },
  { table: 'leads', column: 'custom_fields', json: true, scope: (q, _db, b) => void q.where({ business_id: b }) },
  { table: 'lead_notes', column: 'body', scope: (q, db, b) => void q.whereIn('lead_id', db('leads').where({ business_id: b }).select('id')) },
  { table: 'lead_revisions', column: 'changes', json: true, scope: (q, db, b) => void q.whereIn('lead_id', db('leads').where({ business_id: b }).select('id')) },
  { table: 'deliveries', column: 'payload', json: true, scope: (q, _db, b) => void q.where({ business_id: b }) },
  { table: 'deliveries', column: 'last_error', scope: (q, _db, b) => void q.where({ business_id: b }) },
  { table: 'delivery_attempts', column: 'response_excerpt', scope: (q, db, b) => void q.whereIn('delivery_id', db('deliveries').where({ business_id: b }).select('id')) },
  { table: 'delivery_attempts', column: 'error', scope: (q, db, b) => void q.whereIn('delivery_id', db('deliveries').where({ business_id: b }).select('id')) },
]

/**
 * A PostgreSQL regular expression matching the caller's email (any case) and number as people
 * write it: E.164, with or without the country code, digits grouped by spaces, dots, dashes or
 * brackets, and never inside a longer run of digits.
 */
export function mentionPattern(caller: CallerSubject): string | null {
  const alternatives: string[] = []
  if (caller.email) alternatives.push(caller.email.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
  const parsed = caller.phone ? parsePhoneNumberFromString(caller.phone) : undefined
  if (parsed) {
    const digits = (value: string) => [...value].join(DIGIT_GAP)
    alternatives.push(`(?<![0-9])(\\+?${digits(parsed.countryCallingCode)}${DIGIT_GAP})?(0${DIGIT_GAP})?${digits(parsed.nationalNumber)}(?![0-9])`)
  }
  return alternatives.length ? alternatives.map((a) => `(${a})`).join('|') : null
}

/** Replaces mentions of the caller in the business's remaining free text; returns how many values changed. */
export async function redactMentions(trx: Knex.Transaction, businessId: string, caller: CallerSubject): Promise<number> {
  const pattern = mentionPattern(caller)
  if (!pattern) return 0
  let changed = 0
  for (const { table, column, json, scope } of MENTION_COLUMNS) {
    const text = json ? `"${column}"::text` : `"${column}"`
    const query = trx(table).whereRaw(`${text} ~* ?`, [pattern])
    scope(query, trx, businessId)
    changed += await query.update({ [column]: trx.raw(`regexp_replace(${text}, ?, ?, 'gi')${json ? '::jsonb' : ''}`, [pattern, REDACTED]) })
  }
  return changed
}
