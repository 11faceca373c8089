import type { IResolvers, MercuriusContext } from 'mercurius'
import { connectionFromArray, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { fromEnum, localId, mutation, requirePlatformOperator, toEnum } from './support.ts'
import { isUuid } from '../../core/index.ts'
import { acknowledgePolicy, policyNotices, publishPolicyVersion } from '../../privacy/index.ts'

type Row = Record<string, any>

const versionRow = (ctx: MercuriusContext, id: string) => ctx.db('policy_versions').where({ id }).first()

/** Policies are public documents: anyone may load a published version. */
export const policyNodeLoaders = {
  PolicyVersion: (id: string, ctx: MercuriusContext) => (isUuid(id) ? versionRow(ctx, id) : null),
}

export const policyResolvers: IResolvers = {
  Viewer: {
    policyNotices: async (viewer: { user: Row }, args: ConnectionArgs, ctx) => connectionFromArray(await policyNotices(ctx.db, viewer.user.id), args),
  },
  PolicyVersion: {
    id: (v: Row) => toGlobalId('PolicyVersion', v.id),
    kind: (v: Row) => toEnum(v.kind),
    publishedAt: (v: Row) => v.published_at,
    effectiveAt: (v: Row) => v.effective_at,
  },
  PolicyNotice: {
    policyVersion: (v: Row) => v,
    kind: (v: Row) => toEnum(v.kind),
    effectiveAt: (v: Row) => v.effective_at,
    inEffect: (v: Row) => v.effective_at.getTime() <= Date.now(),
  },
  Mutation: {
    publishPolicyVersion: mutation(async (input: Row, ctx) => {
      const operatorId = await requirePlatformOperator(ctx, 'publish policy versions')
      const id = await publishPolicyVersion({ db: ctx.db, jobs: ctx.jobs, client: ctx.client }, operatorId, { ...input, kind: fromEnum(String(input.kind)) })
      return { policyVersion: await versionRow(ctx, id) }
    }),
    acknowledgePolicy: mutation(async (input: { policyVersionId: string }, ctx) => {
      const { userId } = (await ctx.access()).requireUser()
      const id = localId(input.policyVersionId, 'PolicyVersion')
      await acknowledgePolicy({ db: ctx.db, client: ctx.client }, userId, id)
      return { policyVersion: await versionRow(ctx, id) }
    }),
  },
}
