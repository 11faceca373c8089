import type { FastifyBaseLogger } from 'fastify'
import { type Access, AppError, type ClientInfo, type JobQueue, type Knex, type Mailer, organizationBranding, recordAudit, UserInputError } from '../core/index.ts'

/** How long a closed organization can still be reopened before everything but its billing records is purged. */
export const PURGE_AFTER_DAYS = 30

export interface ClosureDeps {
  db: Knex
  jobs: JobQueue
  mailer: Mailer
  log: FastifyBaseLogger
  client: ClientInfo
}

const notFound = () => new AppError('NOT_FOUND', 'Organization was not found')

/**
 * An owner closes the organization: from the commit on, access grants nothing on it (members, API
 * keys and embed tokens alike) and calls to its numbers are refused. Its data stays for
 * PURGE_AFTER_DAYS, during which an owner can reopen it; then the purge removes it. API keys are
 * left as they are: nothing accepts them while the organization is closed, and a reopened
 * organization's integrations work again without new keys. Paid subscriptions are set to end at
 * period end by a job enqueued in the same transaction, so Stripe being down delays that, never
 * the closure. Owners and admins are told by email.
 */
export async function closeOrganization(deps: ClosureDeps, access: Access, input: { organizationId: string; confirmName: string }): Promise<string> {
  const scope = await access.organizationScope(input.organizationId)
  if (!scope) throw notFound()
  if (scope.role !== 'owner') throw new AppError('FORBIDDEN', 'Only an owner of the whole organization can close it')
  const actor = { type: 'user' as const, id: access.requireUser().userId }
  const closed = await deps.db.transaction(async (trx) => {
    const org = await trx('organizations').where({ id: scope.organizationId, status: 'active' }).forUpdate().first('name')
    if (!org) throw notFound()
    if (input.confirmName.trim() !== org.name) {
      throw new UserInputError([{ field: ['input', 'confirmName'], code: 'INVALID', message: "Type the organization's name exactly as it is shown to confirm" }])
    }
    const [row] = await trx('organizations')
      .where({ id: scope.organizationId })
      .update({ status: 'closed', closed_at: trx.fn.now(), purge_after: trx.raw(`now() + make_interval(days => ?)`, [PURGE_AFTER_DAYS]) })
      .returning(['id', 'name', 'closed_at', 'purge_after'])
    await syncSubscriptionsLater(trx, deps.jobs, scope.organizationId)
    await recordAudit(trx, { action: 'organization.closed', actor, organizationId: scope.organizationId, target: { type: 'organization', id: scope.organizationId }, ip: deps.client.ip, metadata: { purgeAfter: row.purge_after } })
    return row
  })
  await tellOwnersAndAdmins(deps, closed)
  return scope.organizationId
}

/**
 * An owner reopens a closed organization before its purge date; everything is as it was, and
 * subscriptions the closure set to end renew again. Access hides closed organizations, so this
 * checks the owner's membership itself: anyone else, and an organization already purged, get
 * NOT_FOUND; past the purge date it is a user error (the purge is due, and nothing stops it).
 */
export async function reopenOrganization(deps: ClosureDeps, access: Access, organizationId: string): Promise<string> {
  const { userId } = access.requireUser()
  return deps.db.transaction(async (trx) => {
    const org = await trx('organizations').whereIn('id', ownerships(trx, userId)).where({ id: organizationId, status: 'closed' }).forUpdate().first('id', trx.raw('purge_after > now() as reopenable'))
    if (!org) throw notFound()
    if (!org.reopenable) {
      throw new UserInputError([{ field: ['input', 'organizationId'], code: 'EXPIRED', message: `The ${PURGE_AFTER_DAYS} days to reopen this organization are over; its data is being deleted` }])
    }
    await trx('organizations').where({ id: organizationId }).update({ status: 'active', closed_at: null, purge_after: null })
    await syncSubscriptionsLater(trx, deps.jobs, organizationId)
    await recordAudit(trx, { action: 'organization.reopened', actor: { type: 'user', id: userId }, organizationId, target: { type: 'organization', id: organizationId }, ip: deps.client.ip })
    return organizationId
  })
}

/** The closed organizations the user owns that can still be reopened: a query of organization rows, for paging. */
export function reopenableOrganizations(db: Knex, userId: string): Knex.QueryBuilder {
  return db('organizations').whereIn('id', ownerships(db, userId)).where({ status: 'closed' }).where('purge_after', '>', db.fn.now())
}

/** The organizations the user owns as a whole (not one business of). */
function ownerships(db: Knex, userId: string): Knex.QueryBuilder {
  return db('memberships').where({ user_id: userId, role: 'owner' }).whereNull('business_id').select('organization_id')
}

/** Only accounts with a subscription at Stripe have anything to change there. */
async function syncSubscriptionsLater(trx: Knex.Transaction, jobs: JobQueue, organizationId: string): Promise<void> {
  const subscribed = await trx('billing_accounts').where({ organization_id: organizationId }).whereNotNull('stripe_subscription_id').first('id')
  if (subscribed) await jobs.enqueue('organization-subscriptions', { organizationId }, { trx, singletonKey: organizationId })
}

/**
 * The closure notice goes to every owner and admin of the whole organization, whatever their
 * processing restriction: it is about their account and their data, not marketing. A failed send
 * is logged; the closure stands.
 */
async function tellOwnersAndAdmins(deps: ClosureDeps, org: { id: string; name: string; closed_at: Date; purge_after: Date }): Promise<void> {
  const recipients: Array<{ email: string }> = await deps.db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where({ 'm.organization_id': org.id, 'u.status': 'active' })
    .whereIn('m.role', ['owner', 'admin'])
    .whereNull('m.business_id')
    .select('u.email')
  const branding = await organizationBranding(deps.db, org.id)
  const template = { kind: 'organization_closed' as const, organizationName: org.name, closedAt: org.closed_at, purgeAfter: org.purge_after }
  for (const { email } of recipients) {
    await deps.mailer.send({ to: email, template, ...(branding && { branding }) }).catch((error: unknown) => deps.log.warn({ err: error, organizationId: org.id }, 'closure email not sent'))
  }
}
