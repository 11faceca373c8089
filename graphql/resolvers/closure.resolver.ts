import type { IResolvers, MercuriusContext } from 'mercurius'
import { closeOrganization, reopenableOrganizations, reopenOrganization, type ClosureDeps } from '../../privacy/index.ts'
import { paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { localId, mutation, toEnum } from './support.ts'

type Row = Record<string, any>

const SOONEST_PURGE_FIRST = { column: 'purge_after', direction: 'asc' } as const
const depsOf = (ctx: MercuriusContext): ClosureDeps => ({ db: ctx.db, jobs: ctx.jobs, mailer: ctx.mailer, log: ctx.log, client: ctx.client })
const organization = (ctx: MercuriusContext, id: string) => ctx.db('organizations').where({ id }).first()

/** Closing an organization, reopening it within its 30 days, and the owner's list of closed organizations. */
export const closureResolvers: IResolvers = {
  Viewer: {
    closedOrganizations: (viewer: { user: Row }, args: ConnectionArgs, ctx) => paginateQuery(reopenableOrganizations(ctx.db, viewer.user.id), args, SOONEST_PURGE_FIRST),
  },
  ClosedOrganization: {
    organizationId: (o: Row) => toGlobalId('Organization', o.id),
    kind: (o: Row) => toEnum(o.kind),
    closedAt: (o: Row) => o.closed_at,
    purgeAfter: (o: Row) => o.purge_after,
  },
  Mutation: {
    closeOrganization: mutation(async (input: { organizationId: string; confirmName: string }, ctx) => {
      const id = await closeOrganization(depsOf(ctx), await ctx.access(), { organizationId: localId(input.organizationId, 'Organization'), confirmName: input.confirmName })
      return { closedOrganization: await organization(ctx, id) }
    }),
    reopenOrganization: mutation(async (input: { organizationId: string }, ctx) => {
      const id = await reopenOrganization(depsOf(ctx), await ctx.access(), localId(input.organizationId, 'Organization'))
      return { organization: await organization(ctx, id) }
    }),
  },
}
