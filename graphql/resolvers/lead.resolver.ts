import mercurius, { type IResolvers, type MercuriusContext } from 'mercurius'
import { AppError, isUuid, type DomainEvent, type Knex } from '../../core/index.ts'
import { addLeadNote, editLead, type LeadChanges } from '../../leads/index.ts'
import { rowsById } from '../relay/batch-loaders.ts'
import type { BatchLoaders } from '../relay/batch-resolvers.ts'
import { paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { actingUserId, fromEnum, localId, mutation, toEnum, visibleRow } from './support.ts'
import { stillReaches } from './subscription-access.ts'

type Row = Record<string, any>
type LeadEvent = Extract<DomainEvent, { leadId: string }>
const NEWEST = { column: 'created_at', direction: 'desc' } as const
const OLDEST = { column: 'created_at', direction: 'asc' } as const

interface LeadFilter {
  status?: string[] | null
  temperature?: string[] | null
  needsReview?: boolean | null
  createdAfter?: string | null
  createdBefore?: string | null
  search?: string | null
}

/** A prefix query over the search vector: every word must match the start of some lexeme. */
export function searchQuery(search: string): string | null {
  const words = search
    .toLowerCase()
    .split(/[^\p{L}\p{N}@._-]+/u)
    .map((word) => word.replace(/^[@._-]+|[@._-]+$/g, ''))
    .filter(Boolean)
    .slice(0, 8)
  return words.length ? words.map((word) => `'${word}':*`).join(' & ') : null
}

function filteredLeads(db: Knex, businessId: string, filter: LeadFilter | null | undefined): Knex.QueryBuilder {
  const query = db('leads').where({ business_id: businessId })
  if (filter?.status?.length) query.whereIn('status', filter.status.map(fromEnum))
  if (filter?.temperature?.length) query.whereIn('temperature', filter.temperature.map(fromEnum))
  if (filter?.needsReview != null) query.where({ needs_review: filter.needsReview })
  for (const [bound, operator] of [[filter?.createdAfter, '>='], [filter?.createdBefore, '<']] as const) {
    if (!bound) continue
    if (Number.isNaN(Date.parse(bound))) throw new AppError('BAD_USER_INPUT', 'Dates are ISO 8601 instants, such as 2026-11-28T00:00:00Z', { argument: 'filter' })
    query.where('created_at', operator, new Date(bound))
  }
  const tsquery = filter?.search ? searchQuery(filter.search) : null
  if (tsquery) query.whereRaw(`search_vector @@ to_tsquery('simple', ?)`, [tsquery])
  return query
}

/** The lead an id names, once the caller is shown to hold `permission` in its business. */
async function requireLead(ctx: MercuriusContext, globalId: string, permission: 'leads:read' | 'leads:write'): Promise<{ id: string; business_id: string } & Row> {
  const id = localId(globalId, 'Lead')
  const lead = isUuid(id) ? await ctx.db('leads').where({ id }).first() : undefined
  if (!lead) throw new AppError('NOT_FOUND', 'Lead was not found')
  await (await ctx.access()).requireBusiness(lead.business_id, permission)
  return lead
}

async function publishing<T>(ctx: MercuriusContext, work: (trx: Knex.Transaction) => Promise<{ event: DomainEvent | null; result: T }>): Promise<T> {
  const { event, result } = await ctx.db.transaction(work)
  if (event) await ctx.events.publish(event)
  return result
}

/** Lead events of the subscribed business only, while the subscriber may still read them. mercurius is CommonJS: withFilter hangs off its default export. */
const leadEventsOf = mercurius.withFilter(
  (_root, _args, ctx: MercuriusContext) => ctx.pubsub.subscribe(['lead.captured', 'lead.updated']),
  async (event: DomainEvent, args: { businessId: string }, ctx: MercuriusContext) => event.businessId === localId(args.businessId, 'Business') && (await stillReaches(ctx, event.businessId, 'leads:read')),
)

const enumOrNull = (value: string | null | undefined) => (value == null ? value : fromEnum(value))

export const leadResolvers: IResolvers = {
  Business: {
    leads: async (b: Row, args: ConnectionArgs & { filter?: LeadFilter }, ctx) => {
      await (await ctx.access()).requireBusiness(b.id, 'leads:read')
      return paginateQuery(filteredLeads(ctx.db, b.id, args.filter), args, NEWEST)
    },
  },
  Lead: {
    id: (l: Row) => toGlobalId('Lead', l.id),
    status: (l: Row) => toEnum(l.status),
    requestedService: (l: Row) => l.requested_service,
    urgency: (l: Row) => l.urgency && toEnum(l.urgency),
    temperature: (l: Row) => l.temperature && toEnum(l.temperature),
    callOutcome: (l: Row) => l.call_outcome,
    customFields: (l: Row) => l.custom_fields,
    extractionMethod: (l: Row) => toEnum(l.extraction_method),
    fallbackReason: (l: Row) => l.fallback_reason,
    extractionModel: (l: Row) => l.extraction_model,
    promptVersion: (l: Row) => l.prompt_version,
    needsReview: (l: Row) => l.needs_review,
    reviewFields: (l: Row) => l.review_fields,
    createdAt: (l: Row) => l.created_at,
    updatedAt: (l: Row) => l.updated_at,
    notes: (l: Row, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('lead_notes').where({ lead_id: l.id, business_id: l.business_id }), args, OLDEST),
    revisions: (l: Row, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('lead_revisions').where({ lead_id: l.id, business_id: l.business_id }), args, NEWEST),
  },
  Contact: {
    id: (c: Row) => toGlobalId('Contact', c.id),
    createdAt: (c: Row) => c.created_at,
    leads: (c: Row, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('leads').where({ contact_id: c.id, business_id: c.business_id }), args, NEWEST),
  },
  LeadNote: {
    id: (n: Row) => toGlobalId('LeadNote', n.id),
    createdAt: (n: Row) => n.created_at,
  },
  LeadRevision: {
    id: (r: Row) => toGlobalId('LeadRevision', r.id),
    createdAt: (r: Row) => r.created_at,
  },
  LeadChange: {
    kind: (c: { event: DomainEvent }) => (c.event.type === 'lead.captured' ? 'CAPTURED' : 'UPDATED'),
    fields: (c: { event: DomainEvent }) => (c.event.type === 'lead.updated' ? c.event.fields : []),
  },
  Mutation: {
    updateLead: mutation(async (input: Row, ctx) => {
      const lead = await requireLead(ctx, input.leadId, 'leads:write')
      const changes: LeadChanges = {
        ...(input.status != null && { status: fromEnum(input.status) as LeadChanges['status'] }),
        ...('ownerId' in input && { ownerUserId: input.ownerId === null ? null : localId(input.ownerId, 'User') }),
        ...Object.fromEntries(['name', 'email', 'phone', 'reason', 'requestedService'].filter((k) => k in input).map((k) => [k, input[k]])),
        ...('urgency' in input && { urgency: enumOrNull(input.urgency) as LeadChanges['urgency'] }),
        ...('temperature' in input && { temperature: enumOrNull(input.temperature) as LeadChanges['temperature'] }),
        ...(input.customFields && { customFields: input.customFields }),
      }
      const actor = await actingUserId(ctx)
      await publishing(ctx, async (trx) => ({ event: await editLead(trx, lead, actor, changes), result: null }))
      return { lead: await ctx.db('leads').where({ id: lead.id }).first() }
    }),
    addLeadNote: mutation(async (input: Row, ctx) => {
      const lead = await requireLead(ctx, input.leadId, 'leads:write')
      const actor = await actingUserId(ctx)
      const note = await publishing(ctx, async (trx) => {
        const added = await addLeadNote(trx, lead, actor, String(input.body ?? ''))
        return { event: added.event, result: added.note }
      })
      return { note, lead: await ctx.db('leads').where({ id: lead.id }).first() }
    }),
  },
  Subscription: {
    leadChanged: {
      // Access is checked before the stream is returned: mercurius's withFilter is a generator, and
      // an error inside it would reach the client without its code.
      subscribe: async (root: unknown, args: { businessId: string }, ctx: MercuriusContext, info: unknown) => {
        await (await ctx.access()).requireBusiness(localId(args.businessId, 'Business'), 'leads:read')
        return leadEventsOf(root, args, ctx, info as never)
      },
      resolve: async (event: LeadEvent, _args, ctx) => {
        const lead = await ctx.db('leads').where({ id: event.leadId, business_id: event.businessId }).first()
        return lead ? { event, lead } : null
      },
    },
  },
}

/** Batched lookups for the lead graph (one query per field per request, not one per row). */
export const leadLoaders: BatchLoaders = {
  Lead: { business: rowsById('businesses', 'business_id'), call: rowsById('calls', 'call_id'), contact: rowsById('contacts', 'contact_id'), owner: rowsById('users', 'owner_user_id') },
  Contact: { business: rowsById('businesses', 'business_id') },
  LeadNote: { author: rowsById('users', 'author_user_id') },
  LeadRevision: { changedBy: rowsById('users', 'changed_by') },
}

/** Node loaders: a lead or contact is visible to whoever may read the business's leads. */
export const leadNodeLoaders = {
  async Lead(id: string, ctx: MercuriusContext) {
    return visibleRow(ctx, 'leads', id, 'leads:read')
  },
  async Contact(id: string, ctx: MercuriusContext) {
    return visibleRow(ctx, 'contacts', id, 'leads:read')
  },
}
