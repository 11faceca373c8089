import { z } from 'zod'
import { type AccountDeps, emailInput, type Knex, parseInput, recordAudit, revokeAllSessions, userError, UserInputError } from '../core/index.ts'
import { deleteObjects, type ObjectStorage } from './object-store-deletion.ts'

export interface ErasureDeps extends AccountDeps {
  /** Where the user's export archives live; null when no object store is configured. */
  storage: ObjectStorage
}

/** A non-personal address that keeps the users row valid (normalised, unique) after erasure. */
export const erasedEmail = (userId: string) => `erased-${userId}@erased.invalid`

/**
 * Erases a platform user's account, in one transaction: sessions revoked and stripped of their IP
 * and device, refresh tokens, one-time codes, memberships, policy acknowledgements and invitations
 * addressed to them deleted, their export archives deleted from the object store (checked gone),
 * and the users row anonymised in place. Rows elsewhere that name the user (lead notes, connectors
 * they created, audit entries) keep the id only, which now leads to no one. Refused while they are
 * the only owner of an organization that is not closed: someone must be left to run it, or it
 * must be closed first.
 */
export async function eraseAccount(deps: ErasureDeps, userId: string, raw: unknown): Promise<Record<string, number>> {
  const input = parseInput(z.object({ confirmEmail: emailInput }), raw)
  return deps.db.transaction(async (trx) => {
    const user = await trx('users').where({ id: userId, status: 'active' }).forUpdate().first('email')
    if (!user || user.email !== input.confirmEmail) throw userError('confirmEmail', 'INVALID', 'Type the email address of your account to confirm')
    await assertNotSoleOwner(trx, userId)

    const archives: Array<{ id: string; result_storage_key: string }> = await trx('data_requests').where({ subject_user_id: userId }).whereNotNull('result_storage_key').select('id', 'result_storage_key')
    await deleteObjects(deps.storage, archives.map((a) => a.result_storage_key))
    await trx('data_requests').whereIn('id', archives.map((a) => a.id)).update({ result_storage_key: null, result_expires_at: null })
    // An export still to run would write the profile out again after it is gone.
    const canceled = await trx('data_requests').where({ subject_user_id: userId }).whereIn('status', ['pending', 'processing']).update({ status: 'canceled' })

    const sessions = trx('user_sessions').where({ user_id: userId }).select('id')
    const counts = {
      sessionsRevoked: await revokeAllSessions(trx, userId, 'account_erased'),
      refreshTokens: await trx('refresh_tokens').whereIn('session_id', sessions).delete(),
      oneTimeCodes: await trx('one_time_codes').where({ user_id: userId }).orWhere({ email: user.email }).delete(),
      memberships: await trx('memberships').where({ user_id: userId }).delete(),
      policyAcknowledgements: await trx('policy_acknowledgements').where({ user_id: userId }).delete(),
      policyNotifications: await trx('policy_notifications').where({ user_id: userId }).delete(),
      // Accepted and revoked invitations too: each still carries the address.
      invitations: await trx('invitations').where({ email: user.email }).delete(),
      exportArchives: archives.length,
      dataRequestsCanceled: canceled,
    }
    await trx('user_sessions').where({ user_id: userId }).update({ ip: null, user_agent: null })
    // The trail of what the account did stays, without where it was done from.
    await trx('audit_log').where({ actor_type: 'user', actor_id: userId }).update({ ip: null, user_agent: null })
    await trx('users').where({ id: userId }).update({
      status: 'erased',
      email: erasedEmail(userId),
      email_verified_at: null,
      display_name: '',
      locale: 'en',
      password_hash: null,
      google_subject: null,
      last_login_at: null,
      processing_restricted_at: null,
      platform_operator: false,
    })
    await recordAudit(trx, { action: 'user.erased', actor: { type: 'user', id: userId }, target: { type: 'user', id: userId }, metadata: counts })
    return counts
  })
}

/** Refuses while the user is the only owner of an organization that is not closed; locks those organizations' memberships so no other owner can step down meanwhile. */
async function assertNotSoleOwner(trx: Knex.Transaction, userId: string): Promise<void> {
  const memberships: Array<{ organization_id: string; user_id: string; role: string; name: string }> = await trx('memberships as m')
    .join('organizations as o', 'o.id', 'm.organization_id')
    .whereIn('m.organization_id', trx('memberships').where({ user_id: userId }).select('organization_id'))
    .whereNot('o.status', 'closed')
    .orderBy('o.name')
    .forUpdate('m')
    .select('m.organization_id', 'm.user_id', 'm.role', 'o.name')
  const otherOwner = (organizationId: string) => memberships.some((m) => m.organization_id === organizationId && m.role === 'owner' && m.user_id !== userId)
  const soleOwned = memberships.filter((m) => m.user_id === userId && m.role === 'owner' && !otherOwner(m.organization_id))
  if (!soleOwned.length) return
  const names = soleOwned.map((m) => m.name).join(', ')
  throw new UserInputError([{ field: ['input'], code: 'NOT_ALLOWED', message: `You are the only owner of ${names}: make someone else an owner, or close it, before erasing your account` }])
}
