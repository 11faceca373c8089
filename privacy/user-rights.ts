import { z } from 'zod'
import {
  type AccountDeps,
  CODE_TTL_MINUTES,
  consumeCodeAsUserError,
  displayNameInput,
  emailInput,
  enforceRateLimits,
  issueCode,
  type Knex,
  parseInput,
  pepperOf,
  type RateLimit,
  recordAudit,
  sendAfterCommit,
  userBranding,
  userError,
} from '../core/index.ts'

// Each email change sends a code to an address the user chooses: enough for typos, too few to spam anyone.
const EMAIL_CHANGE_LIMIT: RateLimit = { name: 'email_change.user', capacity: 5, perSeconds: 3600 }
const EMAIL_CONFIRM_LIMIT: RateLimit = { name: 'email_confirm.user', capacity: 10, perSeconds: 900 }

const locale = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'Use a language tag such as en or en-GB')

/** The user's own rights actions, attributed to them in the audit log (which keeps field names, never values). */
function audit(db: Knex, deps: AccountDeps, userId: string, action: string, metadata: Record<string, unknown> = {}) {
  return recordAudit(db, { action, actor: { type: 'user', id: userId }, target: { type: 'user', id: userId }, ip: deps.client.ip, userAgent: deps.client.userAgent, metadata })
}

/** Rectification of the name and language the product uses for the user; absent fields stay as they are. */
export async function updateProfile(deps: AccountDeps, userId: string, raw: unknown): Promise<void> {
  const input = parseInput(z.object({ displayName: displayNameInput.optional(), locale: locale.optional() }), raw)
  await deps.db.transaction(async (trx) => {
    const current = await trx('users').where({ id: userId }).forUpdate().first('display_name', 'locale')
    const changes: Record<string, string> = {}
    if (input.displayName !== undefined && input.displayName !== current.display_name) changes.display_name = input.displayName
    if (input.locale !== undefined && input.locale !== current.locale) changes.locale = input.locale
    if (!Object.keys(changes).length) return
    await trx('users').where({ id: userId }).update(changes)
    await audit(trx, deps, userId, 'user.rectified', { fields: Object.keys(changes).map((column) => (column === 'display_name' ? 'displayName' : column)) })
  })
}

/** A typed error when another account already signs in with the address. */
async function assertEmailFree(db: Knex, userId: string, address: string): Promise<void> {
  const holder = await db('users').where({ email: address }).whereNot({ id: userId }).first('id')
  if (holder) throw emailTaken()
}

const emailTaken = () => userError('newEmail', 'TAKEN', 'Another account already uses this email address')
const UNIQUE_VIOLATION = '23505'

/**
 * First step of an email change: a code goes to the new address, and nothing changes until it
 * comes back (confirmEmailChange), so an account never points at a mailbox its user does not read.
 */
export async function requestEmailChange(deps: AccountDeps, userId: string, raw: unknown): Promise<void> {
  const input = parseInput(z.object({ newEmail: emailInput }), raw)
  const user = await deps.db('users').where({ id: userId }).first('email')
  if (user.email === input.newEmail) throw userError('newEmail', 'INVALID', 'This is already the email address of your account')
  await enforceRateLimits(deps.db, [[EMAIL_CHANGE_LIMIT, userId]])
  await assertEmailFree(deps.db, userId, input.newEmail)
  const code = await issueCode(deps.db, pepperOf(deps), { email: input.newEmail, userId, purpose: 'change_email' })
  await audit(deps.db, deps, userId, 'user.email_change_requested')
  await sendAfterCommit(deps, input.newEmail, { kind: 'confirm_email_change', code, expiresInMinutes: CODE_TTL_MINUTES }, await userBranding(deps.db, userId))
}

/**
 * Applies the new address once its code is confirmed (the address counts as verified: the code
 * proves the mailbox), and tells the old address, in case the change was not its owner's doing.
 */
export async function confirmEmailChange(deps: AccountDeps, userId: string, raw: unknown): Promise<void> {
  const input = parseInput(z.object({ newEmail: emailInput, code: z.string().trim().min(1, 'Enter the code') }), raw)
  await enforceRateLimits(deps.db, [[EMAIL_CONFIRM_LIMIT, userId]])
  const issued = await consumeCodeAsUserError(deps, input.newEmail, 'change_email', input.code)
  if (issued.userId !== userId) throw userError('code', 'INVALID', 'The code is not valid')
  const oldEmail = await deps.db.transaction(async (trx) => {
    const user = await trx('users').where({ id: userId }).forUpdate().first('email')
    await assertEmailFree(trx, userId, input.newEmail)
    // Two accounts confirming the same address at once: the unique index decides, and the loser is told.
    await trx('users')
      .where({ id: userId })
      .update({ email: input.newEmail, email_verified_at: trx.fn.now() })
      .catch((error: { code?: string }) => {
        throw error.code === UNIQUE_VIOLATION ? emailTaken() : error
      })
    await audit(trx, deps, userId, 'user.rectified', { fields: ['email'] })
    return user.email as string
  })
  await sendAfterCommit(deps, oldEmail, { kind: 'security_alert', event: 'email_changed', occurredAt: new Date(), ...(deps.client.ip && { ipAddress: deps.client.ip }) }, await userBranding(deps.db, userId))
}

/**
 * Restriction of processing. While it is set, the product keeps the account working for the user
 * but does nothing more with it on its own initiative: no non-essential email (balance alerts,
 * billing notices, disabled-webhook notices), no new leads assigned to them, and no sign-in
 * tracking (last_login_at). Security email (codes, password resets, security alerts) and legal
 * notices (policy updates) still go out: they are what the user needs to stay in control.
 */
export async function setProcessingRestriction(deps: AccountDeps, userId: string, raw: unknown): Promise<void> {
  const { restricted } = parseInput(z.object({ restricted: z.boolean() }), raw)
  await deps.db.transaction(async (trx) => {
    const query = trx('users').where({ id: userId })
    const changed = restricted
      ? await query.whereNull('processing_restricted_at').update({ processing_restricted_at: trx.fn.now() })
      : await query.whereNotNull('processing_restricted_at').update({ processing_restricted_at: null })
    if (changed) await audit(trx, deps, userId, restricted ? 'user.processing_restricted' : 'user.processing_unrestricted')
  })
}
