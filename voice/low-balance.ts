import type { FastifyInstance } from 'fastify'
import { billingAccountFor, organizationBranding } from '../core/index.ts'

// Without a billing period (free plans), warn at most this often.
const ALERT_EVERY_MS = 30 * 86_400_000

/**
 * Emails the owners, once per billing period, that the business's minutes are running low (the
 * call gate decides when), so they can top up before calls are refused. The alert is claimed with
 * one conditional update, so concurrent calls send it once.
 */
export async function alertLowBalance(app: FastifyInstance, businessId: string): Promise<boolean> {
  const business = await app.db('businesses').where({ id: businessId }).first('organization_id', 'name')
  const account = business && (await billingAccountFor(app.db, { id: businessId, organizationId: business.organization_id }))
  if (!account) return false
  const row = await app.db('billing_accounts').where({ id: account.id }).first('included_minutes', 'topup_minutes', 'current_period_start', 'display_name')
  const left = row.included_minutes + row.topup_minutes
  const claimed = await app.db('billing_accounts')
    .where({ id: account.id })
    .where((q) =>
      q
        .whereNull('low_balance_alerted_at')
        .orWhere('low_balance_alerted_at', '<', row.current_period_start ?? new Date(Date.now() - ALERT_EVERY_MS)),
    )
    .update({ low_balance_alerted_at: app.db.fn.now() })
  if (!claimed) return false
  const owners = await app.db('memberships as m').join('users as u', 'u.id', 'm.user_id').where({ 'm.organization_id': business.organization_id, 'm.role': 'owner', 'u.status': 'active' }).select('u.email')
  const config = await app.db('agent_configs').where({ business_id: businessId }).orderBy('version', 'desc').first('out_of_minutes_behavior')
  const branding = await organizationBranding(app.db, business.organization_id)
  for (const { email } of owners) {
    await app.mailer
      .send({ to: email, template: { kind: 'low_balance', minutesLeft: left, accountName: row.display_name, outOfMinutesBehavior: config?.out_of_minutes_behavior ?? 'refuse' }, ...(branding && { branding }) })
      .catch((error: unknown) => app.log.warn({ err: error }, 'low-balance email not sent'))
  }
  return true
}
