import type { IResolvers, MercuriusContext } from 'mercurius'
import { paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { mutation } from './support.ts'
import { confirmEmailChange, createDataRequest, eraseAccount, type ObjectStorage, requestEmailChange, setProcessingRestriction, updateProfile } from '../../privacy/index.ts'

type Row = Record<string, any>

/** The signed-in user acting on their own account; keys and embed tokens act for no person. */
async function me(ctx: MercuriusContext): Promise<string> {
  return (await ctx.access()).requireUser().userId
}

const userRow = (ctx: MercuriusContext, userId: string) => ctx.db('users').where({ id: userId }).first()

/** GraphQL sends null for an optional field left empty; for these mutations absent and null both mean "leave it". */
const withoutNulls = (input: Row) => Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null))

/** A user's rights over their own account: export, rectification, restriction and erasure. */
export function meResolvers(storage: ObjectStorage): IResolvers {
  return {
    User: {
      processingRestricted: (u: Row) => u.processing_restricted_at !== null,
    },
    Viewer: {
      dataRequests: (viewer: { user: Row }, args: ConnectionArgs, ctx) =>
        paginateQuery(ctx.db('data_requests').where({ subject_type: 'user', subject_user_id: viewer.user.id }), args, { column: 'created_at', direction: 'desc' }),
    },
    Mutation: {
      requestMyDataExport: mutation(async (_input, ctx) => {
        const userId = await me(ctx)
        const actor = { type: 'user' as const, id: userId }
        const { request } = await createDataRequest(ctx, { subjectType: 'user', kind: 'export', subjectUserId: userId, requestedBy: userId, actor })
        return { dataRequest: request }
      }),
      updateMyProfile: mutation(async (input: Row, ctx) => {
        const userId = await me(ctx)
        await updateProfile(ctx.deps(), userId, withoutNulls(input))
        return { user: await userRow(ctx, userId) }
      }),
      requestEmailChange: mutation(async (input: Row, ctx) => {
        await requestEmailChange(ctx.deps(), await me(ctx), input)
        return { codeSent: true }
      }),
      confirmEmailChange: mutation(async (input: Row, ctx) => {
        const userId = await me(ctx)
        await confirmEmailChange(ctx.deps(), userId, input)
        return { user: await userRow(ctx, userId) }
      }),
      setMyProcessingRestriction: mutation(async (input: Row, ctx) => {
        const userId = await me(ctx)
        await setProcessingRestriction(ctx.deps(), userId, input)
        return { user: await userRow(ctx, userId) }
      }),
      eraseMyAccount: mutation(async (input: Row, ctx) => {
        await eraseAccount({ ...ctx.deps(), storage }, await me(ctx), input)
        return { erased: true }
      }),
    },
  }
}
