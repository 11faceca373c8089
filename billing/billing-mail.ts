import { organizationBranding, type Knex, type Mailer } from '../core/index.ts'

type Template = Parameters<Mailer['send']>[0]['template']

/** An email ready to go; sent once the change it reports has committed. */
export type PendingMail = () => Promise<unknown>

/**
 * Billing emails go to the organization's owners and admins (those over the whole organization, not
 * one business), in its white-label branding when it has one; not to those who restricted the
 * processing of their data.
 */
export async function mailToBillingContacts(db: Knex, mailer: Mailer, organizationId: string | null, template: Template): Promise<PendingMail[]> {
  if (!organizationId) return []
  const contacts: Array<{ email: string }> = await db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where({ 'm.organization_id': organizationId, 'u.status': 'active' })
    .whereIn('m.role', ['owner', 'admin'])
    .whereNull('m.business_id')
    .whereNull('u.processing_restricted_at')
    .select('u.email')
  const branding = await organizationBranding(db, organizationId)
  return contacts.map(({ email }) => () => mailer.send({ to: email, template, ...(branding && { branding }) }))
}

/** Sends what a committed change has to say; a failed email is logged, never undoes or repeats the change. */
export async function sendAll(mail: PendingMail[], warn: (error: unknown) => void): Promise<void> {
  for (const send of mail) await send().catch(warn)
}

/** An amount in the currency's smallest unit, as people read it: 4900 usd is $49.00. */
export function formatAmount(minorUnits: number, currency: string): string {
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).format(minorUnits / 100)
}
