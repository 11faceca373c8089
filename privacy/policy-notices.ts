import type { FastifyBaseLogger } from 'fastify'
import { type Knex, type Mailer, recordAudit, userBranding } from '../core/index.ts'

// Users claimed per statement: one short insert each, so a large user base never holds a long lock.
const BATCH = 200

export interface PolicyNoticeDeps {
  db: Knex
  mailer: Mailer
  log: FastifyBaseLogger
}

/**
 * Emails every active user with a verified address about a policy version, legal notices being
 * among the few emails a processing restriction does not stop. Each batch of users is claimed in
 * policy_notifications before its emails go out, so a retried or resumed job skips everyone
 * already claimed and never emails anyone twice; the cost is that a process dying between the
 * claim and the send leaves those few unsent (their sent_at stays empty, and the in-app notice
 * still reaches them). A send that fails gives its claim back, and the job then fails so the
 * queue retries it later. Unverified addresses are left out: they may not be their user's.
 */
export async function sendPolicyNotices(deps: PolicyNoticeDeps, policyVersionId: string, batchSize = BATCH): Promise<{ sent: number; failed: number }> {
  const version = await deps.db('policy_versions').where({ id: policyVersionId }).first()
  if (!version) return { sent: 0, failed: 0 }
  const template = { kind: 'policy_update' as const, policy: version.kind, version: version.version, summary: version.summary, url: version.url, effectiveAt: version.effective_at }
  const failed: string[] = []
  let sent = 0
  for (let batch = await claimBatch(deps.db, policyVersionId, batchSize); batch.length; batch = await claimBatch(deps.db, policyVersionId, batchSize)) {
    for (const user of batch) {
      try {
        await deps.mailer.send({ to: user.email, template, ...(await brandingOf(deps.db, user.id)) })
        await deps.db('policy_notifications').where({ id: user.notification_id }).update({ sent_at: deps.db.fn.now() })
        sent++
      } catch (error) {
        deps.log.warn({ err: error, policyVersionId }, 'policy notice not sent')
        failed.push(user.notification_id)
      }
    }
  }
  // Given back only now, so this run does not claim them again straight away.
  if (failed.length) await deps.db('policy_notifications').whereIn('id', failed).delete()
  if (sent || failed.length) {
    await recordAudit(deps.db, { action: 'policy.notified', actor: { type: 'system', id: null }, target: { type: 'policy_version', id: policyVersionId }, metadata: { sent, failed: failed.length } })
  }
  if (failed.length) throw new Error(`${failed.length} policy notices could not be sent; they are retried with the job`)
  return { sent, failed: failed.length }
}

async function brandingOf(db: Knex, userId: string) {
  const branding = await userBranding(db, userId)
  return branding ? { branding } : {}
}

/** Claims the next users who have not been notified of this version (nor claimed by a run before). */
async function claimBatch(db: Knex, policyVersionId: string, size: number): Promise<Array<{ id: string; email: string; notification_id: string }>> {
  const { rows } = await db.raw(
    `with claimed as (
       insert into policy_notifications (user_id, policy_version_id)
       select u.id, :version from users u
       where u.status = 'active' and u.email_verified_at is not null
         and not exists (select 1 from policy_notifications n where n.user_id = u.id and n.policy_version_id = :version)
       order by u.id
       limit :size
       on conflict (user_id, policy_version_id) do nothing
       returning id, user_id
     )
     select u.id, u.email, c.id as notification_id from claimed c join users u on u.id = c.user_id`,
    { version: policyVersionId, size },
  )
  return rows
}
