import { z } from 'zod'
import type { Access } from '../auth/access.ts'
import { createApiKey } from '../auth/api-keys.ts'
import { signEmbedToken } from '../auth/jwt.ts'
import { PERMISSIONS, WIDGET_PERMISSIONS, type Permission } from '../auth/permissions.ts'
import { recordAudit } from '../audit/audit-log.ts'
import { AppError, notFound } from '../errors/app-error.ts'
import { userError } from '../errors/user-error.ts'
import { AUTH_LIMITS, enforceRateLimits } from '../rate-limit/rate-limiter.ts'
import type { AccountDeps } from './deps.ts'
import { actorOf } from './organizations.ts'
import { name, parseInput } from './validation.ts'

/** Creates an integrator key; its scopes can never exceed the creator's own permissions. */
export async function createOrganizationApiKey(deps: AccountDeps, access: Access, raw: unknown): Promise<{ apiKeyId: string; secret: string }> {
  const input = parseInput(
    z.object({ organizationId: z.string(), businessId: z.string().nullish(), name, scopes: z.array(z.enum(PERMISSIONS)).min(1, 'Choose at least one scope').max(PERMISSIONS.length) }),
    raw,
  )
  const scope = await access.requireOrganization(input.organizationId, 'api_keys:manage')
  const beyond = input.scopes.filter((s) => !scope.permissions.has(s))
  if (beyond.length) throw userError('scopes', 'NOT_ALLOWED', `You cannot grant scopes you do not hold: ${beyond.join(', ')}`)
  if (input.businessId && !(await deps.db('businesses').where({ id: input.businessId, organization_id: scope.organizationId }).first('id'))) {
    throw userError('businessId', 'INVALID', 'The business is not part of this organization')
  }
  const key = await createApiKey(deps.db, {
    organizationId: scope.organizationId,
    businessId: input.businessId ?? null,
    name: input.name,
    scopes: [...new Set(input.scopes)],
    createdBy: access.principal.kind === 'user' ? access.principal.userId : null,
  })
  await recordAudit(deps.db, { action: 'api_key.created', actor: actorOf(access), organizationId: scope.organizationId, target: { type: 'api_key', id: key.id }, ip: deps.client.ip, metadata: { scopes: input.scopes, prefix: key.prefix } })
  return { apiKeyId: key.id, secret: key.secret }
}

export async function revokeOrganizationApiKey(deps: AccountDeps, access: Access, apiKeyId: string): Promise<string> {
  const key = await deps.db('api_keys').where({ id: apiKeyId }).first('organization_id')
  if (!key) throw notFound('API key')
  const scope = await access.requireOrganization(key.organization_id, 'api_keys:manage')
  await deps.db('api_keys').where({ id: apiKeyId }).whereNull('revoked_at').update({ revoked_at: deps.db.fn.now() })
  await recordAudit(deps.db, { action: 'api_key.revoked', actor: actorOf(access), organizationId: scope.organizationId, target: { type: 'api_key', id: apiKeyId }, ip: deps.client.ip })
  return apiKeyId
}

/**
 * Exchanges an API key for a widget token: one business, widget permissions the key itself holds
 * on that business, a lifetime of minutes. An embed token cannot mint another, so it can be
 * neither refreshed nor widened.
 */
export async function createEmbedToken(deps: AccountDeps, access: Access, raw: unknown): Promise<{ token: string; expiresAt: Date; permissions: Permission[] }> {
  const principal = access.principal
  if (principal.kind !== 'api_key') throw new AppError('FORBIDDEN', 'Embed tokens are created with an API key, from your server')
  const maxMinutes = deps.config.auth.embedTokenTtlMinutes
  const input = parseInput(
    z.object({
      businessId: z.string(),
      permissions: z.array(z.enum(WIDGET_PERMISSIONS)).min(1, 'Choose at least one permission'),
      ttlMinutes: z.number().int().min(1).max(maxMinutes, `At most ${maxMinutes} minutes`).default(maxMinutes),
    }),
    raw,
  )
  const scope = await access.requireBusiness(input.businessId, 'embed_tokens:create')
  const beyond = input.permissions.filter((p) => !scope.permissions.has(p))
  if (beyond.length) throw userError('permissions', 'NOT_ALLOWED', `The API key does not hold: ${beyond.join(', ')}`)
  await enforceRateLimits(deps.db, [[AUTH_LIMITS.embedTokenPerKey, principal.apiKeyId]])
  const permissions = [...new Set(input.permissions)]
  const { token, expiresAt } = await signEmbedToken(deps.config.auth.jwtKeys, input.ttlMinutes * 60, {
    organizationId: scope.organizationId,
    businessId: scope.businessId,
    permissions,
    apiKeyId: principal.apiKeyId,
  })
  return { token, expiresAt, permissions }
}
