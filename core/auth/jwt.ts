import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose'
import { AppError } from '../errors/app-error.ts'
import type { Permission } from './permissions.ts'

const ISSUER = 'answerline'
const ALGORITHM = 'HS256'
const AUDIENCE = { access: 'answerline:api', embed: 'answerline:embed', oauthState: 'answerline:oauth-state' } as const

export interface SigningKey {
  readonly kid: string
  readonly secret: string
}

/** A signed-in user's short-lived token, bound to the session it came from. */
export interface AccessClaims {
  kind: 'access'
  userId: string
  sessionId: string
}

/** A widget's token: one business, a fixed set of permissions, no refresh. */
export interface EmbedClaims {
  kind: 'embed'
  organizationId: string
  businessId: string
  permissions: Permission[]
  apiKeyId: string
}

export type TokenClaims = AccessClaims & { expiresAt: Date } | EmbedClaims & { expiresAt: Date }

const encoder = new TextEncoder()
const keyBytes = new Map<string, Uint8Array>()
function secretOf(key: SigningKey): Uint8Array {
  let bytes = keyBytes.get(key.secret)
  if (!bytes) keyBytes.set(key.secret, (bytes = encoder.encode(key.secret)))
  return bytes
}

async function sign(keys: readonly SigningKey[], audience: string, subject: string, claims: JWTPayload, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
  const key = keys[0]
  if (!key) throw new Error('no signing key configured')
  const now = Math.floor(Date.now() / 1000)
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setSubject(subject)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(secretOf(key))
  return { token, expiresAt: new Date((now + ttlSeconds) * 1000) }
}

export function signAccessToken(keys: readonly SigningKey[], ttlSeconds: number, claims: Omit<AccessClaims, 'kind'>) {
  return sign(keys, AUDIENCE.access, claims.userId, { sid: claims.sessionId }, ttlSeconds)
}

export function signEmbedToken(keys: readonly SigningKey[], ttlSeconds: number, claims: Omit<EmbedClaims, 'kind'>) {
  return sign(keys, AUDIENCE.embed, claims.businessId, { org: claims.organizationId, perms: claims.permissions, key: claims.apiKeyId }, ttlSeconds)
}

/**
 * Verifies a token's signature (HS256 only, so `alg: none` and algorithm swaps fail), its key id,
 * issuer, audience and expiry. Any failure is UNAUTHENTICATED with no detail beyond expiry.
 */
export async function verifyToken(keys: readonly SigningKey[], token: string): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = keys.find((k) => k.kid === header.kid)
        if (!key) throw new AppError('UNAUTHENTICATED', 'The token is not valid')
        return secretOf(key)
      },
      { issuer: ISSUER, audience: [AUDIENCE.access, AUDIENCE.embed], algorithms: [ALGORITHM], requiredClaims: ['exp', 'sub', 'iat'] },
    )
    const expiresAt = new Date((payload.exp ?? 0) * 1000)
    if (payload.aud === AUDIENCE.access && typeof payload.sid === 'string') {
      return { kind: 'access', userId: String(payload.sub), sessionId: payload.sid, expiresAt }
    }
    if (payload.aud === AUDIENCE.embed && typeof payload.org === 'string' && Array.isArray(payload.perms) && typeof payload.key === 'string') {
      return { kind: 'embed', businessId: String(payload.sub), organizationId: payload.org, permissions: payload.perms as Permission[], apiKeyId: payload.key, expiresAt }
    }
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new AppError('UNAUTHENTICATED', 'The token has expired', { reason: 'expired' })
  }
  throw new AppError('UNAUTHENTICATED', 'The token is not valid')
}

/**
 * The `state` of an OAuth grant: names the connector being connected, expires in minutes, and is
 * signed, so a callback cannot be forged or pointed at another business's connector.
 */
export async function signOAuthState(keys: readonly SigningKey[], ttlSeconds: number, connectorId: string): Promise<string> {
  return (await sign(keys, AUDIENCE.oauthState, connectorId, {}, ttlSeconds)).token
}

/** The connector id an OAuth state names; UNAUTHENTICATED when it is forged or expired. */
export async function verifyOAuthState(keys: readonly SigningKey[], state: string): Promise<string> {
  try {
    const { payload } = await jwtVerify(
      state,
      (header) => {
        const key = keys.find((k) => k.kid === header.kid)
        if (!key) throw new AppError('UNAUTHENTICATED', 'The authorization request is not valid')
        return secretOf(key)
      },
      { issuer: ISSUER, audience: AUDIENCE.oauthState, algorithms: [ALGORITHM], requiredClaims: ['exp', 'sub'] },
    )
    return String(payload.sub)
  } catch {
    throw new AppError('UNAUTHENTICATED', 'The authorization request is not valid or has expired; start again')
  }
}
