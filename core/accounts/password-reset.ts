import { z } from 'zod'
import { recordAudit } from '../audit/audit-log.ts'
import { CODE_TTL_MINUTES, issueCode } from '../auth/one-time-codes.ts'
import { hashPassword } from '../auth/passwords.ts'
import { revokeAllSessions } from '../auth/sessions.ts'
import { AUTH_LIMITS, enforceRateLimits } from '../rate-limit/rate-limiter.ts'
import { sendAfterCommit, userBranding, type AccountDeps } from './deps.ts'
import { consumeCodeAsUserError, pepperOf } from './codes.ts'
import { email, parseInput, password } from './validation.ts'

/** Emails a reset code when the account exists; the answer is the same either way. */
export async function requestPasswordReset(deps: AccountDeps, raw: unknown): Promise<void> {
  const input = parseInput(z.object({ email }), raw)
  await enforceRateLimits(deps.db, [
    [AUTH_LIMITS.resetRequestPerIp, deps.client.ip ?? 'unknown'],
    [AUTH_LIMITS.resetRequestPerAccount, input.email],
  ])
  const user = await deps.db('users').where({ email: input.email, status: 'active' }).first('id')
  if (!user) return
  const code = await issueCode(deps.db, pepperOf(deps), { email: input.email, userId: user.id, purpose: 'reset_password' })
  await sendAfterCommit(deps, input.email, { kind: 'reset_password', code, expiresInMinutes: CODE_TTL_MINUTES }, await userBranding(deps.db, user.id))
}

/**
 * Sets a new password with a reset code, ends every session of the account, and tells the user.
 * The code proves control of the mailbox, so the email also counts as verified.
 */
export async function resetPassword(deps: AccountDeps, raw: unknown): Promise<void> {
  const input = parseInput(z.object({ email, code: z.string().trim().min(1, 'Enter the code'), newPassword: password }), raw)
  await enforceRateLimits(deps.db, [
    [AUTH_LIMITS.codePerIp, deps.client.ip ?? 'unknown'],
    [AUTH_LIMITS.codePerAccount, input.email],
  ])
  const passwordHash = await hashPassword(input.newPassword, deps.config.auth.bcryptCost)
  const { userId } = await consumeCodeAsUserError(deps, input.email, 'reset_password', input.code)
  if (!userId) return
  await deps.db.transaction(async (trx) => {
    await trx('users').where({ id: userId }).update({ password_hash: passwordHash, email_verified_at: trx.raw('coalesce(email_verified_at, now())') })
    await revokeAllSessions(trx, userId, 'password_reset')
    await recordAudit(trx, { action: 'user.password_reset', actor: { type: 'user', id: userId }, ip: deps.client.ip, userAgent: deps.client.userAgent })
  })
  await sendAfterCommit(deps, input.email, { kind: 'security_alert', event: 'password_reset', occurredAt: new Date(), ...(deps.client.ip && { ipAddress: deps.client.ip }) }, await userBranding(deps.db, userId))
}
