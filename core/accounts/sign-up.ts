import { z } from 'zod'
import { recordAudit } from '../audit/audit-log.ts'
import { openBillingAccount } from '../billing/minute-ledger.ts'
import { CODE_TTL_MINUTES, issueCode } from '../auth/one-time-codes.ts'
import { hashPassword } from '../auth/passwords.ts'
import { createSession, type IssuedTokens } from '../auth/sessions.ts'
import { AUTH_LIMITS, enforceRateLimits } from '../rate-limit/rate-limiter.ts'
import { userError } from '../errors/user-error.ts'
import { consumeCodeAsUserError, pepperOf } from './codes.ts'
import { sendAfterCommit, userBranding, type AccountDeps } from './deps.ts'
import { country, displayName, email, name, parseInput, password, timeZone } from './validation.ts'

const signUpInput = z.object({
  email,
  password,
  displayName: displayName.default(''),
  organizationName: name,
  organizationKind: z.enum(['direct', 'agency']),
  timeZone: timeZone.default('UTC'),
  country: country.default('US'),
})

/**
 * Creates a user, their organization (a direct business account gets its first business) and an
 * owner membership, then emails a verification code. Signing in waits for the code.
 */
export async function signUp(deps: AccountDeps, raw: unknown): Promise<{ userId: string; organizationId: string }> {
  const input = parseInput(signUpInput, raw)
  await enforceRateLimits(deps.db, [[AUTH_LIMITS.signUpPerIp, deps.client.ip ?? 'unknown']])
  const passwordHash = await hashPassword(input.password, deps.config.auth.bcryptCost)
  const created = await deps.db.transaction(async (trx) => {
    const [user] = await trx('users')
      .insert({ email: input.email, password_hash: passwordHash, display_name: input.displayName })
      .onConflict('email')
      .ignore()
      .returning('id')
    if (!user) throw userError('email', 'TAKEN', 'An account with this email already exists; sign in or reset the password')
    const [organization] = await trx('organizations').insert({ kind: input.organizationKind, name: input.organizationName }).returning('id')
    await trx('memberships').insert({ organization_id: organization.id, user_id: user.id, role: 'owner' })
    await openBillingAccount(trx, { organizationId: organization.id, displayName: input.organizationName })
    if (input.organizationKind === 'direct') {
      await trx('businesses').insert({ organization_id: organization.id, name: input.organizationName, time_zone: input.timeZone, country: input.country })
    }
    await recordAudit(trx, { action: 'user.signed_up', actor: { type: 'user', id: user.id }, organizationId: organization.id, ip: deps.client.ip, userAgent: deps.client.userAgent })
    return { userId: user.id as string, organizationId: organization.id as string }
  })
  await sendVerificationCode(deps, input.email, created.userId)
  return created
}

async function sendVerificationCode(deps: AccountDeps, address: string, userId: string): Promise<void> {
  const code = await issueCode(deps.db, pepperOf(deps), { email: address, userId, purpose: 'verify_email' })
  await sendAfterCommit(deps, address, { kind: 'verify_email', code, expiresInMinutes: CODE_TTL_MINUTES }, await userBranding(deps.db, userId))
}

/** Sends a new code to an unverified account; says nothing about whether the email is registered. */
export async function resendVerificationCode(deps: AccountDeps, raw: unknown): Promise<void> {
  const input = parseInput(z.object({ email }), raw)
  await enforceRateLimits(deps.db, [
    [AUTH_LIMITS.codePerIp, deps.client.ip ?? 'unknown'],
    [AUTH_LIMITS.codePerAccount, input.email],
  ])
  const user = await deps.db('users').where({ email: input.email, status: 'active' }).whereNull('email_verified_at').first('id')
  if (user) await sendVerificationCode(deps, input.email, user.id)
}

/** Confirms the email with its code and signs the user in. */
export async function verifyEmail(deps: AccountDeps, raw: unknown): Promise<IssuedTokens & { userId: string }> {
  const input = parseInput(z.object({ email, code: z.string().trim().min(1, 'Enter the code') }), raw)
  await enforceRateLimits(deps.db, [
    [AUTH_LIMITS.codePerIp, deps.client.ip ?? 'unknown'],
    [AUTH_LIMITS.codePerAccount, input.email],
  ])
  const { userId } = await consumeCodeAsUserError(deps, input.email, 'verify_email', input.code)
  if (!userId) throw userError('code', 'INVALID', 'The code is not valid')
  const firstTime = await deps.db('users').where({ id: userId }).whereNull('email_verified_at').update({ email_verified_at: deps.db.fn.now() })
  await recordAudit(deps.db, { action: 'user.email_verified', actor: { type: 'user', id: userId }, ip: deps.client.ip, userAgent: deps.client.userAgent })
  if (firstTime) await sendAfterCommit(deps, input.email, { kind: 'welcome' }, await userBranding(deps.db, userId))
  return { userId, ...(await createSession(deps.db, deps.config.auth, userId, deps.client)) }
}
