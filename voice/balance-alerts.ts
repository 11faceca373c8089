import type { FastifyInstance } from 'fastify'
import { billingAccountFor, organizationBranding } from '../core/index.ts'

// Without a billing period (free plans), warn at most this often.
const ALERT_EVERY_MS = 30 * 86_400_000

/**
 * Emails the owners, once per billing period for each kind, that the business's minutes are running
 * low (the call gate decides when: a fifth left) or have run out, so they can top up before (or
 * as soon as) calls go unanswered. Each alert is claimed with one conditional update, so concurrent
 * calls send it once.
 */
export async function alertBalance(app: FastifyInstance, businessId: string, kind: 'low' | 'exhausted'): Promise<boolean> {
  const column = kind === 'low' ? 'low_balance_alerted_at' : 'out_of_minutes_alerted_at'
  const business = await app.db('businesses').where({ id: businessId }).first('organization_id', 'name')
  const account = business && (await billingAccountFor(app.db, { id: businessId, organizationId: business.organization_id }))
  if (!account) return false
  const row = await app.db('billing_accounts').where({ id: account.id }).first('included_minutes', 'topup_minutes', 'current_period_start', 'display_name')
  const left = row.included_minutes + row.topup_minutes
  const claimed = await app.db('billing_accounts')
    .where({ id: account.id })
    .where((q) => q.whereNull(column).orWhere(column, '<', row.current_period_start ?? new Date(Date.now() - ALERT_EVERY_MS)))
    .update({ [column]: app.db.fn.now() })
  if (!claimed) return false
  // Owners who restricted the processing of their data get no alerts of this kind.
  const owners = await app.db('memberships as m').join('users as u', 'u.id', 'm.user_id').where({ 'm.organization_id': business.organization_id, 'm.role': 'owner', 'u.status': 'active' }).whereNull('u.processing_restricted_at').select('u.email')
  const config = await app.db('agent_configs').where({ business_id: businessId }).orderBy('version', 'desc').first('out_of_minutes_behavior')
  const branding = await organizationBranding(app.db, business.organization_id)
  const outOfMinutesBehavior = config?.out_of_minutes_behavior ?? 'refuse'
  const template = kind === 'low' ? { kind: 'low_balance' as const, minutesLeft: left, accountName: row.display_name, outOfMinutesBehavior } : { kind: 'out_of_minutes' as const, accountName: row.display_name, outOfMinutesBehavior }
  for (const { email } of owners) {
    await app.mailer.send({ to: email, template, ...(branding && { branding }) }).catch((error: unknown) => app.log.warn({ err: error }, 'balance email not sent'))
  }
  return true
}
