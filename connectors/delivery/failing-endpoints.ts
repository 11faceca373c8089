import { organizationBranding, recordAudit, type Knex, type Mailer } from '../../core/index.ts'

type Row = Record<string, any>

/**
 * Turns off a webhook endpoint that has failed for days, so it stops collecting retries, and
 * tells the organization's owners. Pending deliveries stay in the log, to replay once it is fixed.
 */
export async function disableFailingEndpoint(deps: { db: Knex; mailer: Mailer }, connector: Row): Promise<void> {
  const { db, mailer } = deps
  const days = Math.floor((Date.now() - new Date(connector.failing_since).getTime()) / 86_400_000)
  const disabled = await db('connectors')
    .where({ id: connector.id, status: 'active' })
    .update({ status: 'disabled', disabled_reason: `Deliveries failed for ${days} days without a success` })
  if (!disabled) return
  await db('deliveries').where({ connector_id: connector.id, status: 'pending' }).update({ status: 'failed', next_attempt_at: null, last_error: 'the endpoint was disabled after failing for days' })
  const business = await db('businesses').where({ id: connector.business_id }).first('name', 'organization_id')
  const lastError = (await db('deliveries').where({ connector_id: connector.id }).whereNotNull('last_error').orderBy('updated_at', 'desc').first('last_error'))?.last_error ?? 'unknown'
  await recordAudit(db, { action: 'connector.disabled', actor: { type: 'system', id: null }, organizationId: business.organization_id, businessId: connector.business_id, target: { type: 'connector', id: connector.id } })
  // Owners who restricted the processing of their data are not written to.
  const owners: Array<{ email: string }> = await db('memberships as m').join('users as u', 'u.id', 'm.user_id').where({ 'm.organization_id': business.organization_id, 'm.role': 'owner' }).whereNull('u.processing_restricted_at').select('u.email')
  const branding = await organizationBranding(db, business.organization_id)
  for (const { email } of owners) {
    await mailer.send({
      to: email,
      template: { kind: 'webhook_disabled', connectorName: connector.name, businessName: business.name, url: String(connector.config?.url ?? ''), failingSinceDays: days, lastError: lastError.slice(0, 300) },
      ...(branding && { branding }),
    })
  }
}
