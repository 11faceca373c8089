import type { FastifyBaseLogger } from 'fastify'
import type { Knex } from 'knex'
import type { ClientInfo } from '../auth/sessions.ts'
import type { Config } from '../config/config.ts'
import type { Mailer } from '../mail/index.ts'
import type { Branding } from '../mail/index.ts'

/** What account operations need from the running app. */
export interface AccountDeps {
  db: Knex
  config: Config
  mailer: Mailer
  log: FastifyBaseLogger
  client: ClientInfo
}

/**
 * Sends an email after the transaction that caused it has committed. A failed send is logged,
 * not thrown: the account change stands, and the user can ask for the email again.
 */
export async function sendAfterCommit(deps: AccountDeps, to: string, template: Parameters<Mailer['send']>[0]['template'], branding?: Branding): Promise<void> {
  try {
    await deps.mailer.send({ to, template, ...(branding && { branding }) })
  } catch (error) {
    deps.log.warn({ err: error, template: template.kind }, 'email could not be sent')
  }
}

/** An organization's white-label branding, when it has one, for the emails it causes. */
export async function organizationBranding(db: Knex, organizationId: string): Promise<Branding | undefined> {
  const org = await db('organizations').where({ id: organizationId }).first('white_label', 'branding', 'name')
  if (!org?.white_label) return undefined
  const b = org.branding as Record<string, string | undefined>
  return { productName: b.productName ?? org.name, ...(b.colorBrand && { colorBrand: b.colorBrand }), ...(b.logoUrl && { logoUrl: b.logoUrl }), ...(b.supportEmail && { supportEmail: b.supportEmail }) }
}

/**
 * The branding of emails to a person: their agency's when they belong to a white-label agency
 * (its clients never see our name), ours otherwise.
 */
export async function userBranding(db: Knex, userId: string): Promise<Branding | undefined> {
  const agency = await db('memberships as m')
    .join('organizations as o', 'o.id', 'm.organization_id')
    .where({ 'm.user_id': userId, 'o.white_label': true, 'o.status': 'active' })
    .orderBy('m.created_at')
    .first('o.id')
  return agency ? organizationBranding(db, agency.id) : undefined
}
