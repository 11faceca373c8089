import mercurius, { type IResolvers, type MercuriusContext } from 'mercurius'
import { AppError, type BusinessScope, type DomainEvent, type Knex } from '../../core/index.ts'
import { rowsById, rowsByParent } from '../relay/batch-loaders.ts'
import type { BatchLoaders } from '../relay/batch-resolvers.ts'
import { paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { recordingLoaders, type RecordingStore } from './call-recording.loader.ts'
import { searchQuery } from './lead.resolver.ts'
import { fromEnum, localId, toEnum, visibleRow } from './support.ts'
import { stillReaches } from './subscription-access.ts'

type Row = Record<string, any>
type CallEvent = Extract<DomainEvent, { type: 'call.completed' }>
const NEWEST = { column: 'started_at', direction: 'desc' } as const

interface CallFilter {
  startedAfter?: string | null
  startedBefore?: string | null
  status?: string[] | null
  outcome?: string | null
  escalated?: boolean | null
  consent?: string | null
  temperature?: string[] | null
  search?: string | null
}

/** The digits a caller's number starts with, when the search looks like a phone number (+1 415, 1415...). */
function numberPrefix(search: string): string | null {
  if (!/^\+?[\d\s().-]+$/.test(search.trim())) return null
  const digits = search.replace(/\D/g, '')
  return digits.length >= 2 ? `+${digits}` : null
}

/**
 * A business's calls, filtered. Every condition sits beside business_id, so the scan stays within
 * one business on calls_business_started; lead conditions are semi-joins on the lead's unique
 * call_id, and word search on leads uses their GIN search_vector. The summary has no index of its
 * own: its words are matched within the business's calls only.
 */
function filteredCalls(db: Knex, scope: BusinessScope, filter: CallFilter | null | undefined): Knex.QueryBuilder {
  const query = db('calls').where({ 'calls.business_id': scope.businessId })
  for (const [bound, operator] of [[filter?.startedAfter, '>='], [filter?.startedBefore, '<']] as const) {
    if (!bound) continue
    if (Number.isNaN(Date.parse(bound))) throw new AppError('BAD_USER_INPUT', 'Dates are ISO 8601 instants, such as 2026-11-28T00:00:00Z', { argument: 'filter' })
    query.where('calls.started_at', operator, new Date(bound))
  }
  if (filter?.status?.length) query.whereIn('calls.status', filter.status.map(fromEnum))
  if (filter?.outcome != null) query.where('calls.outcome', filter.outcome)
  if (filter?.escalated != null) query.where('calls.escalated', filter.escalated)
  if (filter?.consent) {
    query.whereExists((q) => q.select(db.raw('1')).from('consent_records as r').whereRaw('r.call_id = calls.id and r.business_id = calls.business_id').where('r.decision', fromEnum(filter.consent as string)))
  }
  const readsLeads = scope.permissions.has('leads:read')
  if (filter?.temperature?.length) {
    if (!readsLeads) throw new AppError('FORBIDDEN', 'You may not do this (needs leads:read)', { permission: 'leads:read' })
    query.whereExists((q) => q.select(db.raw('1')).from('leads as l').whereRaw('l.call_id = calls.id and l.business_id = calls.business_id').whereIn('l.temperature', (filter.temperature as string[]).map(fromEnum)))
  }
  const search = filter?.search?.trim()
  if (search) {
    const prefix = numberPrefix(search)
    const tsquery = searchQuery(search)
    query.where((any) => {
      // Digits only: nothing in the pattern needs escaping for LIKE.
      if (prefix) any.orWhere('calls.from_number', 'like', `${prefix}%`)
      if (tsquery) {
        any.orWhereRaw(`to_tsvector('simple', coalesce(calls.summary, '')) @@ to_tsquery('simple', ?)`, [tsquery])
        // The business named as a constant too: a word most leads share would otherwise plan as a scan of every business's leads.
        if (readsLeads) any.orWhereExists((q) => q.select(db.raw('1')).from('leads as l').whereRaw('l.call_id = calls.id and l.business_id = calls.business_id').where('l.business_id', scope.businessId).whereRaw(`l.search_vector @@ to_tsquery('simple', ?)`, [tsquery]))
      }
      if (!prefix && !tsquery) any.whereRaw('false')
    })
  }
  return query.select('calls.*')
}

/** Completed calls of the subscribed business only, while the subscriber may still read them. mercurius is CommonJS: withFilter hangs off its default export. */
const callEventsOf = mercurius.withFilter(
  (_root, _args, ctx: MercuriusContext) => ctx.pubsub.subscribe('call.completed'),
  async (event: DomainEvent, args: { businessId: string }, ctx: MercuriusContext) => event.businessId === localId(args.businessId, 'Business') && (await stillReaches(ctx, event.businessId, 'calls:read')),
)

export const callResolvers: IResolvers = {
  Business: {
    calls: async (b: Row, args: ConnectionArgs & { filter?: CallFilter }, ctx) => {
      const scope = await (await ctx.access()).requireBusiness(b.id, 'calls:read')
      return paginateQuery(filteredCalls(ctx.db, scope, args.filter), args, NEWEST)
    },
  },
  Call: {
    id: (c: Row) => toGlobalId('Call', c.id),
    direction: (c: Row) => toEnum(c.direction),
    fromNumber: (c: Row) => c.from_number,
    toNumber: (c: Row) => c.to_number,
    status: (c: Row) => toEnum(c.status),
    refusalReason: (c: Row) => c.refusal_reason,
    durationSeconds: (c: Row) => c.duration_seconds,
    startedAt: (c: Row) => c.started_at,
    endedAt: (c: Row) => c.ended_at,
    // The lead's call is visible to lead readers; what was said needs calls:read.
    transcript: async (c: Row, args: ConnectionArgs, ctx) => {
      const scope = await (await ctx.access()).businessScope(c.business_id)
      if (!scope?.permissions.has('calls:read')) throw new AppError('FORBIDDEN', 'You may not do this (needs calls:read)', { permission: 'calls:read' })
      return paginateQuery(ctx.db('transcript_segments').where({ call_id: c.id, business_id: c.business_id }), args, { column: 'seq', direction: 'asc' })
    },
  },
  TranscriptSegment: {
    speaker: (s: Row) => toEnum(s.speaker),
    startedMs: (s: Row) => s.started_ms,
    endedMs: (s: Row) => s.ended_ms,
  },
  ConsentRecord: {
    decision: (r: Row) => toEnum(r.decision),
    askedAt: (r: Row) => r.asked_at,
    decidedAt: (r: Row) => r.decided_at,
    withdrawnAt: (r: Row) => r.withdrawn_at,
  },
  Subscription: {
    callChanged: {
      // Access is checked before the stream is returned (see leadChanged).
      subscribe: async (root: unknown, args: { businessId: string }, ctx: MercuriusContext, info: unknown) => {
        await (await ctx.access()).requireBusiness(localId(args.businessId, 'Business'), 'calls:read')
        return callEventsOf(root, args, ctx, info as never)
      },
      resolve: (event: CallEvent, _args, ctx) => ctx.db('calls').where({ id: event.callId, business_id: event.businessId }).first(),
    },
  },
}

/** Rows of a child table the caller may see only with `permission` in the call's business. */
function guarded(table: string, permission: 'calls:read' | 'leads:read') {
  const load = rowsByParent(table, 'call_id')
  return async (queries: Array<{ obj: Row }>, ctx: MercuriusContext): Promise<Array<Row | null>> => {
    const access = await ctx.access()
    const rows = await load(queries, ctx)
    return Promise.all(rows.map(async (row) => (row && (await access.businessScope(row.business_id))?.permissions.has(permission) ? row : null)))
  }
}

/** Batched lookups for calls; recordings need the object store, opened once by the GraphQL plugin. */
export function callLoaders(recordings: RecordingStore | null): BatchLoaders {
  return {
    // A call's lead is shown only to those who may read leads; its consent to those who may read calls.
    Call: { business: rowsById('businesses', 'business_id'), lead: guarded('leads', 'leads:read'), consent: guarded('consent_records', 'calls:read'), ...recordingLoaders(recordings) },
  }
}

export const callNodeLoaders = {
  async Call(id: string, ctx: MercuriusContext) {
    return visibleRow(ctx, 'calls', id, 'calls:read')
  },
}
