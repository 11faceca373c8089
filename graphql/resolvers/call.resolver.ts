import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius'
import { AppError } from '../../core/index.ts'
import { rowsById, rowsByParent } from '../relay/batch-loaders.ts'
import { paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { visibleRow } from './lead.resolver.ts'
import { toEnum } from './support.ts'

type Row = Record<string, any>

export const callResolvers: IResolvers = {
  Business: {
    calls: async (b: Row, args: ConnectionArgs, ctx) => {
      await (await ctx.access()).requireBusiness(b.id, 'calls:read')
      return paginateQuery(ctx.db('calls').where({ business_id: b.id }), args, { column: 'started_at', direction: 'desc' })
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
}

/** A call's lead is shown only to those who may read leads. */
async function leadsOfCalls(queries: Array<{ obj: Row }>, ctx: MercuriusContext): Promise<Array<Row | null>> {
  const access = await ctx.access()
  const leads = await rowsByParent('leads', 'call_id')(queries, ctx)
  return Promise.all(leads.map(async (lead) => (lead && (await access.businessScope(lead.business_id))?.permissions.has('leads:read') ? lead : null)))
}

export const callLoaders: MercuriusLoaders = {
  Call: { business: rowsById('businesses', 'business_id'), lead: leadsOfCalls },
}

export const callNodeLoaders = {
  async Call(id: string, ctx: MercuriusContext) {
    return visibleRow(ctx, 'calls', id, 'calls:read')
  },
}
