import type { IResolvers, MercuriusContext } from 'mercurius'
import { fromEnum, localId, mutation } from './support.ts'
import { AppError, endSession, logIn, refreshTokens, requestPasswordReset, resendVerificationCode, resetPassword, type SignedIn, signInWithGoogle, signUp, verifyEmail } from '../../core/index.ts'

async function authPayload(signedIn: SignedIn, ctx: MercuriusContext) {
  return {
    tokens: {
      accessToken: signedIn.accessToken,
      accessTokenExpiresAt: signedIn.accessTokenExpiresAt,
      refreshToken: signedIn.refreshToken,
      refreshTokenExpiresAt: signedIn.refreshTokenExpiresAt,
    },
    user: await ctx.db('users').where({ id: signedIn.userId }).first(),
  }
}

export const authResolvers: IResolvers = {
  Mutation: {
    signUp: mutation(async (input: Record<string, unknown>, ctx) => {
      const created = await signUp(ctx.deps(), { ...input, organizationKind: fromEnum(String(input.organizationKind)), displayName: input.displayName ?? undefined, timeZone: input.timeZone ?? undefined, country: input.country ?? undefined })
      return {
        user: await ctx.db('users').where({ id: created.userId }).first(),
        organization: await ctx.db('organizations').where({ id: created.organizationId }).first(),
      }
    }),
    verifyEmail: mutation(async (input, ctx) => authPayload(await verifyEmail(ctx.deps(), input), ctx)),
    resendVerificationCode: mutation(async (input, ctx) => {
      await resendVerificationCode(ctx.deps(), input)
      return {}
    }),
    logIn: mutation(async (input, ctx) => authPayload(await logIn(ctx.deps(), input), ctx)),
    signInWithGoogle: mutation(async (input, ctx) => authPayload(await signInWithGoogle(ctx.deps(), input), ctx)),
    refreshSession: mutation(async (input, ctx) => authPayload(await refreshTokens(ctx.deps(), input), ctx)),
    logOut: mutation(async (_input, ctx) => {
      const { userId, sessionId } = (await ctx.access()).requireUser()
      return { loggedOut: await endSession(ctx.deps(), userId, sessionId, 'logout') }
    }),
    revokeSession: mutation(async (input: { sessionId: string }, ctx) => {
      const { userId } = (await ctx.access()).requireUser()
      const sessionId = localId(input.sessionId, 'Session')
      if (!(await endSession(ctx.deps(), userId, sessionId, 'revoked'))) throw new AppError('NOT_FOUND', 'Session was not found')
      return { revokedSessionId: input.sessionId }
    }),
    requestPasswordReset: mutation(async (input, ctx) => {
      await requestPasswordReset(ctx.deps(), input)
      return { requested: true }
    }),
    resetPassword: mutation(async (input, ctx) => {
      await resetPassword(ctx.deps(), input)
      return { reset: true }
    }),
  },
}
