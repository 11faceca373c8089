import type { IResolvers, MercuriusContext } from 'mercurius'
import { AppError, isUuid, recordAudit, UserInputError } from '../../core/index.ts'
import { archiveDownloadUrl, erasureOf, findCallerData, readCallerSubject, readProgress, requestCallerData, type CallerFindings, type CallerSubject, type DataRequestRow, type DeliveredRecord, type ObjectStorage } from '../../privacy/index.ts'
import { connectionFromArray, paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { auditActor, localId, mutation, toEnum } from './support.ts'

type Row = Record<string, any>
const NEWEST = { column: 'created_at', direction: 'desc' } as const

/** What Business.callerData resolves to: the search and what it found. */
interface CallerDataResult {
  businessId: string
  caller: CallerSubject
  found: CallerFindings
}

/**
 * Who may read a data request: for a caller's, those who manage the business that holds the data
 * (never embed tokens, which cannot hold business:manage); for a user's, that user alone.
 */
async function mayRead(ctx: MercuriusContext, request: DataRequestRow): Promise<boolean> {
  const access = await ctx.access()
  if (request.subject_type === 'user') return access.principal.kind === 'user' && access.principal.userId === request.subject_user_id
  return request.business_id !== null && ((await access.businessScope(request.business_id))?.permissions.has('business:manage') ?? false)
}

/** A delivered record as the API shows it, with its erasure outcome when the request erased. */
function deliveredRecord(record: DeliveredRecord, erasure: ReturnType<typeof readProgress> | null) {
  const answer = erasure && erasureOf(erasure.connectorErasure, record)
  return { ...record, erasure: erasure ? toEnum(answer?.outcome ?? 'pending') : null, erasureError: answer?.outcome === 'erased' ? null : (answer?.error ?? null) }
}

/** Business.callerData reports bad input as BAD_USER_INPUT; the mutations return it as user errors. */
async function callerOrBadInput(ctx: MercuriusContext, businessId: string, args: { phone?: string | null; email?: string | null }): Promise<CallerSubject> {
  try {
    return await readCallerSubject(ctx.db, businessId, args)
  } catch (error) {
    if (!(error instanceof UserInputError)) throw error
    throw new AppError('BAD_USER_INPUT', error.userErrors[0]?.message ?? 'Give a phone number or an email address', { fields: [...new Set(error.userErrors.map((e) => e.field.at(-1)))] })
  }
}

/** Data-subject requests: a business's rights actions for its callers, and the DataRequest type they share with users' requests. */
export function privacyResolvers(store: ObjectStorage): IResolvers {
  const request = (kind: 'export' | 'erasure') =>
    mutation(async (input: Row, ctx) => {
      const scope = await (await ctx.access()).requireBusiness(localId(input.businessId, 'Business'), 'business:manage')
      const actor = await auditActor(ctx)
      const dataRequest = await requestCallerData(ctx, { ...scope, kind, phone: input.phone, email: input.email, confirm: input.confirm, requestedBy: actor.type === 'user' ? actor.id : null, actor })
      return { dataRequest }
    })
  return {
    Business: {
      callerData: async (b: Row, args: { phone?: string | null; email?: string | null }, ctx): Promise<CallerDataResult> => {
        const scope = await (await ctx.access()).requireBusiness(b.id, 'business:manage')
        const caller = await callerOrBadInput(ctx, scope.businessId, args)
        const found = await findCallerData(ctx.db, scope.businessId, caller)
        await recordAudit(ctx.primary, {
          action: 'caller.searched',
          actor: await auditActor(ctx),
          organizationId: scope.organizationId,
          businessId: scope.businessId,
          ip: ctx.client.ip,
          userAgent: ctx.client.userAgent,
          metadata: { calls: found.callIds.length, leads: found.leadIds.length, contacts: found.contactIds.length, deliveredRecords: found.deliveredTo.length },
        })
        return { businessId: scope.businessId, caller, found }
      },
      dataRequests: async (b: Row, args: ConnectionArgs, ctx) => {
        await (await ctx.access()).requireBusiness(b.id, 'business:manage')
        return paginateQuery(ctx.db('data_requests').where({ business_id: b.id, subject_type: 'caller' }), args, NEWEST)
      },
    },
    CallerData: {
      phone: (d: CallerDataResult) => d.caller.phone,
      email: (d: CallerDataResult) => d.caller.email,
      calls: (d: CallerDataResult, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('calls').where({ business_id: d.businessId }).whereIn('id', d.found.callIds), args, { column: 'started_at', direction: 'desc' }),
      leads: (d: CallerDataResult, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('leads').where({ business_id: d.businessId }).whereIn('id', d.found.leadIds), args, NEWEST),
      contacts: (d: CallerDataResult, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('contacts').where({ business_id: d.businessId }).whereIn('id', d.found.contactIds), args, NEWEST),
      transcriptSegmentCount: (d: CallerDataResult) => d.found.transcriptSegments,
      recordingCount: (d: CallerDataResult) => d.found.recordings,
      deliveredTo: (d: CallerDataResult, args: ConnectionArgs) => connectionFromArray(d.found.deliveredTo.map((r) => deliveredRecord(r, null)), args),
    },
    DataRequest: {
      id: (r: DataRequestRow) => toGlobalId('DataRequest', r.id),
      kind: (r: DataRequestRow) => toEnum(r.kind),
      subjectType: (r: DataRequestRow) => toEnum(r.subject_type),
      status: (r: DataRequestRow) => toEnum(r.status),
      createdAt: (r: DataRequestRow) => r.created_at,
      completedAt: (r: DataRequestRow) => r.completed_at,
      expiresAt: (r: DataRequestRow) => r.result_expires_at,
      downloadUrl: async (r: DataRequestRow, _args, ctx) => ((await mayRead(ctx, r)) ? archiveDownloadUrl(store, r) : null),
      deliveredTo: (r: DataRequestRow, args: ConnectionArgs) => {
        const progress = readProgress(r.counts)
        return connectionFromArray(progress.deliveredTo.map((record) => deliveredRecord(record, r.kind === 'erasure' ? progress : null)), args)
      },
      counts: (r: DataRequestRow) => Object.fromEntries(Object.entries(r.counts).filter(([key]) => key !== 'deliveredTo' && key !== 'connectorErasure')),
    },
    DeliveredRecord: {
      connector: (d: DeliveredRecord, _args, ctx) => ctx.db('connectors').where({ id: d.connectorId }).first().then((row) => row ?? null),
      connectorName: (d: DeliveredRecord) => d.connectorName,
      connectorKind: (d: DeliveredRecord) => toEnum(d.kind),
      subjectType: (d: DeliveredRecord) => toEnum(d.subjectType),
    },
    Mutation: {
      requestCallerExport: request('export'),
      requestCallerErasure: request('erasure'),
    },
  }
}

/** node(id:) for data requests: visible to those who may read them, null otherwise. */
export const privacyNodeLoaders = {
  async DataRequest(id: string, ctx: MercuriusContext) {
    const row: DataRequestRow | undefined = isUuid(id) ? await ctx.db('data_requests').where({ id }).first() : undefined
    return row && (await mayRead(ctx, row)) ? row : null
  },
}
