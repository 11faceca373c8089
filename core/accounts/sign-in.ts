import { z } from 'zod'
import { recordAudit } from '../audit/audit-log.ts'
import { verifyGoogleIdToken } from '../auth/google-id-token.ts'
import { verifyPassword } from '../auth/passwords.ts'
import { createSession, refreshSession, RefreshTokenReusedError, revokeAllSessions, revokeSession, type IssuedTokens } from '../auth/sessions.ts'
import { userError } from '../errors/user-error.ts'
import { AUTH_LIMITS, enforceRateLimits } from '../rate-limit/rate-limiter.ts'
import { sendAfterCommit, userBranding, type AccountDeps } from './deps.ts'
import { email, parseInput } from './validation.ts'

export type SignedIn = IssuedTokens & { userId: string }

/**
 * Email and password. Wrong email and wrong password give the same answer in the same time;
 * failures are rate-limited per address and per account, and audit-logged.
 */
export async function logIn(deps: AccountDeps, raw: unknown): Promise<SignedIn> {
  const input = parseInput(z.object({ email, password: z.string().min(1, 'Enter the password').max(1024) }), raw)
  await enforceRateLimits(deps.db, [
    [AUTH_LIMITS.logInPerIp, deps.client.ip ?? 'unknown'],
    [AUTH_LIMITS.logInPerAccount, input.email],
  ])
  const user = await deps.db('users').where({ email: input.email }).first('id', 'password_hash', 'status', 'email_verified_at')
  const passwordMatches = await verifyPassword(input.password, user?.password_hash ?? null)
  if (!user || !passwordMatches || user.status !== 'active') {
    await recordAudit(deps.db, { action: 'user.login_failed', actor: { type: 'user', id: user?.id ?? null }, ip: deps.client.ip, userAgent: deps.client.userAgent })
    throw userError('password', 'INVALID_CREDENTIALS', 'The email or password is not right')
  }
  if (!user.email_verified_at) throw userError('email', 'EMAIL_NOT_VERIFIED', 'Confirm your email with the code we sent first')
  const tokens = await createSession(deps.db, deps.config.auth, user.id, deps.client)
  await recordAudit(deps.db, { action: 'user.logged_in', actor: { type: 'user', id: user.id }, target: { type: 'session', id: tokens.sessionId }, ip: deps.client.ip, userAgent: deps.client.userAgent })
  return { userId: user.id, ...tokens }
}

/**
 * Google sign-in. An existing account is linked only when Google vouches for the email; if that
 * account had never verified its email, its password (set by whoever typed the address) is
 * dropped and its sessions ended, so a squatted sign-up cannot share the account.
 */
export async function signInWithGoogle(deps: AccountDeps, raw: unknown): Promise<SignedIn> {
  const input = parseInput(z.object({ idToken: z.string().min(1).max(8192) }), raw)
  await enforceRateLimits(deps.db, [[AUTH_LIMITS.logInPerIp, deps.client.ip ?? 'unknown']])
  const identity = await verifyGoogleIdToken(deps.config.auth.google, input.idToken)
  if (!identity.emailVerified) throw userError('idToken', 'EMAIL_NOT_VERIFIED', 'Google has not verified this email address')
  const userId = await deps.db.transaction(async (trx) => {
    const linked = await trx('users').where({ google_subject: identity.subject }).first('id', 'status')
    if (linked) return linked.status === 'active' ? (linked.id as string) : null
    const existing = await trx('users').where({ email: identity.email }).forUpdate().first('id', 'status', 'email_verified_at')
    if (existing) {
      if (existing.status !== 'active') return null
      const squatted = !existing.email_verified_at
      await trx('users')
        .where({ id: existing.id })
        .update({ google_subject: identity.subject, email_verified_at: trx.fn.now(), ...(squatted && { password_hash: null }) })
      if (squatted) await revokeAllSessions(trx, existing.id, 'revoked')
      await recordAudit(trx, { action: 'user.google_linked', actor: { type: 'user', id: existing.id }, ip: deps.client.ip, userAgent: deps.client.userAgent, metadata: { passwordDropped: squatted } })
      return existing.id as string
    }
    const [created] = await trx('users')
      .insert({ email: identity.email, google_subject: identity.subject, email_verified_at: trx.fn.now(), display_name: identity.name })
      .returning('id')
    await recordAudit(trx, { action: 'user.signed_up', actor: { type: 'user', id: created.id }, ip: deps.client.ip, userAgent: deps.client.userAgent, metadata: { method: 'google' } })
    return created.id as string
  })
  if (!userId) throw userError('idToken', 'NOT_ALLOWED', 'This account is not active')
  const tokens = await createSession(deps.db, deps.config.auth, userId, deps.client)
  await recordAudit(deps.db, { action: 'user.logged_in', actor: { type: 'user', id: userId }, target: { type: 'session', id: tokens.sessionId }, ip: deps.client.ip, metadata: { method: 'google' } })
  return { userId, ...tokens }
}

/** Rotates a refresh token; a reused one ends its session and the user is alerted by email. */
export async function refreshTokens(deps: AccountDeps, raw: unknown): Promise<SignedIn> {
  const input = parseInput(z.object({ refreshToken: z.string().min(1).max(512) }), raw)
  await enforceRateLimits(deps.db, [[AUTH_LIMITS.refreshPerIp, deps.client.ip ?? 'unknown']])
  try {
    return await refreshSession(deps.db, deps.config.auth, input.refreshToken, deps.client)
  } catch (error) {
    if (error instanceof RefreshTokenReusedError) {
      const user = await deps.db('users').where({ id: error.userId }).first('email')
      if (user) await sendAfterCommit(deps, user.email, { kind: 'security_alert', event: 'refresh_token_reuse', occurredAt: new Date(), ...(deps.client.ip && { ipAddress: deps.client.ip }) }, await userBranding(deps.db, error.userId))
    }
    throw error
  }
}

/** Ends the caller's current session (logout) or another of their sessions. */
export async function endSession(deps: AccountDeps, userId: string, sessionId: string, reason: 'logout' | 'revoked'): Promise<boolean> {
  const ended = await revokeSession(deps.db, userId, sessionId, reason)
  if (ended) await recordAudit(deps.db, { action: reason === 'logout' ? 'session.logged_out' : 'session.revoked', actor: { type: 'user', id: userId }, target: { type: 'session', id: sessionId }, ip: deps.client.ip })
  return ended
}
