import type { Knex } from 'knex'
import { AppError } from '../errors/app-error.ts'
import { authenticateApiKey, looksLikeApiKey } from './api-keys.ts'
import { verifyToken, type SigningKey } from './jwt.ts'
import type { Permission } from './permissions.ts'

/** Who is calling: resolved once per request from the Authorization header. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; userId: string; sessionId: string }
  | { kind: 'api_key'; apiKeyId: string; organizationId: string; businessId: string | null; scopes: Permission[] }
  | { kind: 'embed'; apiKeyId: string; organizationId: string; businessId: string; permissions: Permission[] }

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' })

/** Whom a query budget charges: a person, an API key, or an API key's embed tokens for one business. */
export function principalId(principal: Principal): string | null {
  switch (principal.kind) {
    case 'anonymous':
      return null
    case 'user':
      return principal.userId
    case 'api_key':
      return principal.apiKeyId
    case 'embed':
      // A host mints a token per page view from one key, often for many businesses (an agency's
      // CRM): the views of one business share a budget, and one business's traffic cannot use up
      // another's. Minting a token needs the key, whose own budget is apart.
      return `${principal.apiKeyId}:${principal.businessId}`
  }
}

/**
 * Resolves `Bearer <credential>`: an API key (al_...), or a JWT that is either a user's access
 * token or a widget's embed token. Access tokens are checked against their session on every
 * request, so logging out or resetting a password takes effect at once; embed tokens die with
 * the API key that minted them. A credential that is present but not valid is UNAUTHENTICATED,
 * never treated as anonymous.
 */
export async function authenticate(db: Knex, keys: readonly SigningKey[], authorization: string | undefined): Promise<Principal> {
  if (!authorization) return ANONYMOUS
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim())
  if (!match?.[1]) throw new AppError('UNAUTHENTICATED', 'Use an Authorization header of the form "Bearer <token>"')
  const credential = match[1]

  if (looksLikeApiKey(credential)) {
    const key = await authenticateApiKey(db, credential)
    if (!key) throw new AppError('UNAUTHENTICATED', 'The API key is not valid')
    return { kind: 'api_key', apiKeyId: key.id, organizationId: key.organizationId, businessId: key.businessId, scopes: key.scopes }
  }

  const claims = await verifyToken(keys, credential)
  if (claims.kind === 'access') {
    const live = await db('user_sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .where({ 's.id': claims.sessionId, 's.user_id': claims.userId, 'u.status': 'active' })
      .whereNull('s.revoked_at')
      .where('s.expires_at', '>', db.fn.now())
      .first('s.id')
    if (!live) throw new AppError('UNAUTHENTICATED', 'The session has ended; sign in again', { reason: 'session_ended' })
    return { kind: 'user', userId: claims.userId, sessionId: claims.sessionId }
  }
  const minter = await db('api_keys as k')
    .join('organizations as o', 'o.id', 'k.organization_id')
    .where({ 'k.id': claims.apiKeyId, 'k.organization_id': claims.organizationId, 'o.status': 'active' })
    .whereNull('k.revoked_at')
    .first('k.id')
  if (!minter) throw new AppError('UNAUTHENTICATED', 'The embed token is no longer valid')
  return { kind: 'embed', apiKeyId: claims.apiKeyId, organizationId: claims.organizationId, businessId: claims.businessId, permissions: claims.permissions }
}
