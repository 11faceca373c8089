import { z } from 'zod'
import type { Access } from '../auth/access.ts'
import { recordAudit } from '../audit/audit-log.ts'
import { openBillingAccount } from '../billing/minute-ledger.ts'
import { AppError } from '../errors/app-error.ts'
import type { AccountDeps } from './deps.ts'
import { country, name, parseInput, timeZone } from './validation.ts'

/** A signed-in user with a verified email starts an organization and becomes its owner. */
export async function createOrganization(deps: AccountDeps, access: Access, raw: unknown): Promise<string> {
  const { userId } = access.requireUser()
  const input = parseInput(z.object({ name, kind: z.enum(['direct', 'agency']), timeZone: timeZone.default('UTC'), country: country.default('US') }), raw)
  const user = await deps.db('users').where({ id: userId }).first('email_verified_at')
  if (!user?.email_verified_at) throw new AppError('FORBIDDEN', 'Verify your email before creating an organization')
  return deps.db.transaction(async (trx) => {
    const [organization] = await trx('organizations').insert({ kind: input.kind, name: input.name }).returning('id')
    await trx('memberships').insert({ organization_id: organization.id, user_id: userId, role: 'owner' })
    await openBillingAccount(trx, { organizationId: organization.id, displayName: input.name })
    if (input.kind === 'direct') await trx('businesses').insert({ organization_id: organization.id, name: input.name, time_zone: input.timeZone, country: input.country })
    await recordAudit(trx, { action: 'organization.created', actor: { type: 'user', id: userId }, organizationId: organization.id, ip: deps.client.ip })
    return organization.id as string
  })
}

/** Adds a business: an agency's client, or another location of a direct account. */
export async function createBusiness(deps: AccountDeps, access: Access, organizationId: string, raw: unknown): Promise<string> {
  const scope = await access.requireOrganization(organizationId, 'business:manage')
  const input = parseInput(z.object({ name, timeZone: timeZone.default('UTC'), country: country.default('US') }), raw)
  const [business] = await deps.db('businesses')
    .insert({ organization_id: scope.organizationId, name: input.name, time_zone: input.timeZone, country: input.country })
    .returning('id')
  await recordAudit(deps.db, { action: 'business.created', actor: actorOf(access), organizationId, businessId: business.id, ip: deps.client.ip })
  return business.id
}

/** Who to attribute an action to in the audit log. */
export function actorOf(access: Access): { type: 'user' | 'api_key' | 'embed_token'; id: string | null } {
  const p = access.principal
  if (p.kind === 'user') return { type: 'user', id: p.userId }
  if (p.kind === 'api_key') return { type: 'api_key', id: p.apiKeyId }
  if (p.kind === 'embed') return { type: 'embed_token', id: p.apiKeyId }
  return { type: 'user', id: null }
}

