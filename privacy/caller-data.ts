import type { Knex } from '../core/index.ts'
import type { CallerSubject } from './data-requests.ts'

type Row = Record<string, any>

/** A record delivered to a connector (CRM or webhook): what the business may have to remove there. Ids only. */
export interface DeliveredRecord {
  deliveryId: string
  connectorId: string
  connectorName: string
  kind: string
  /** The CRM record it landed on; null for webhooks, and for a delivery still in flight. */
  externalId: string | null
  subjectType: 'call' | 'lead'
  subjectId: string
  deliveredAt: string | null
}

/** What the business holds about a caller, in one business: the records and how much of each. */
export interface CallerFindings {
  callIds: string[]
  leadIds: string[]
  contactIds: string[]
  transcriptSegments: number
  recordings: number
  deliveredTo: DeliveredRecord[]
}

/** The caller's contacts: the business's contacts with their number or email. */
export function callerContactIds(db: Knex, businessId: string, caller: CallerSubject): Knex.QueryBuilder {
  return db('contacts')
    .where({ business_id: businessId })
    .where((q) => {
      q.whereRaw('false')
      if (caller.phone) q.orWhere({ phone: caller.phone })
      if (caller.email) q.orWhere({ email: caller.email })
    })
    .select('id')
}

/**
 * The caller's leads: those with their number or email (in the lead's own fields or the business's
 * capture fields), those of their contacts, and those of calls from (or to) their number.
 */
export function callerLeadIds(db: Knex, businessId: string, caller: CallerSubject): Knex.QueryBuilder {
  return db('leads')
    .where({ business_id: businessId })
    .where((q) => {
      q.whereIn('contact_id', callerContactIds(db, businessId, caller))
      if (caller.phone) q.orWhere({ phone: caller.phone }).orWhereIn('call_id', directCallIds(db, businessId, caller.phone)).orWhereRaw('position(? in custom_fields::text) > 0', [caller.phone])
      if (caller.email) q.orWhere({ email: caller.email }).orWhereRaw('position(? in custom_fields::text) > 0', [caller.email])
    })
    .select('id')
}

/** Calls from the number, and outbound calls to it. */
function directCallIds(db: Knex, businessId: string, phone: string): Knex.QueryBuilder {
  return db('calls')
    .where({ business_id: businessId })
    .where((q) => q.where({ from_number: phone }).orWhere({ direction: 'outbound', to_number: phone }))
    .select('id')
}

/**
 * The caller's calls: from (or to) their number, and the calls of their leads. A lead found by email
 * takes its call with it: the call's transcript is the caller's own conversation.
 */
export function callerCallIds(db: Knex, businessId: string, caller: CallerSubject): Knex.QueryBuilder {
  return db('calls')
    .where({ business_id: businessId })
    .where((q) => {
      q.whereIn('id', db('leads').whereIn('id', callerLeadIds(db, businessId, caller)).select('call_id'))
      if (caller.phone) q.orWhereIn('id', directCallIds(db, businessId, caller.phone))
    })
    .select('id')
}

/** Deliveries of these calls and leads that reached (or may have reached) a connector, with the connector's name and kind. */
export async function deliveredRecords(db: Knex, businessId: string, callIds: string[] | Knex.QueryBuilder, leadIds: string[] | Knex.QueryBuilder): Promise<DeliveredRecord[]> {
  const rows: Row[] = await db('deliveries as d')
    .join('connectors as c', 'c.id', 'd.connector_id')
    .where('d.business_id', businessId)
    .where((q) => q.where('d.subject_type', 'call').whereIn('d.subject_id', callIds).orWhere((l) => l.where('d.subject_type', 'lead').whereIn('d.subject_id', leadIds)))
    // A pending delivery that has been attempted may be in flight right now, or may have landed before failing.
    .where((q) => q.where('d.status', 'delivered').orWhereNotNull('d.external_id').orWhere((p) => p.where('d.status', 'pending').where('d.attempts', '>', 0)))
    .orderBy([{ column: 'd.delivered_at', order: 'asc' }, { column: 'd.id', order: 'asc' }])
    .select('d.id', 'd.connector_id', 'c.name', 'c.kind', 'd.external_id', 'd.subject_type', 'd.subject_id', 'd.delivered_at')
  return rows.map((r) => ({
    deliveryId: r.id,
    connectorId: r.connector_id,
    connectorName: r.name,
    kind: r.kind,
    externalId: r.external_id,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
  }))
}

/** Everything the business holds about the caller, as ids and counts. */
export async function findCallerData(db: Knex, businessId: string, caller: CallerSubject): Promise<CallerFindings> {
  const ids = async (query: Knex.QueryBuilder) => ((await query) as Array<{ id: string }>).map((row) => row.id)
  const callIds = await ids(callerCallIds(db, businessId, caller))
  const leadIds = await ids(callerLeadIds(db, businessId, caller))
  // Their contacts, and the contacts their leads hang on (found by the other detail, say).
  const contactIds = await ids(
    db('contacts')
      .where({ business_id: businessId })
      .where((q) => q.whereIn('id', callerContactIds(db, businessId, caller)).orWhereIn('id', db('leads').whereIn('id', leadIds).whereNotNull('contact_id').select('contact_id')))
      .select('id'),
  )
  const count = async (table: string) => (callIds.length ? Number((await db(table).where({ business_id: businessId }).whereIn('call_id', callIds).count('* as n').first())?.n ?? 0) : 0)
  return {
    callIds,
    leadIds,
    contactIds,
    transcriptSegments: await count('transcript_segments'),
    recordings: await count('recordings'),
    deliveredTo: await deliveredRecords(db, businessId, callIds, leadIds),
  }
}
