import type { Knex } from 'knex'
import { recordAudit } from '../audit/audit-log.ts'
import { AppError } from '../errors/app-error.ts'
import { signAccessToken, type SigningKey } from './jwt.ts'
import { digestsEqual, randomToken, sha256 } from './secrets.ts'

export interface SessionSettings {
  jwtKeys: readonly SigningKey[]
  accessTokenTtlSeconds: number
  refreshTokenTtlDays: number
}

export interface ClientInfo {
  ip: string | null
  userAgent: string | null
}

export interface IssuedTokens {
  sessionId: string
  accessToken: string
  accessTokenExpiresAt: Date
  refreshToken: string
  refreshTokenExpiresAt: Date
}

export type RevokeReason = 'logout' | 'revoked' | 'password_reset' | 'token_reuse' | 'account_closed' | 'account_erased'

const REFRESH_PREFIX = 'alr_'

async function issueRefreshToken(trx: Knex, sessionId: string, expiresAt: Date): Promise<string> {
  const token = `${REFRESH_PREFIX}${randomToken()}`
  await trx('refresh_tokens').insert({ session_id: sessionId, token_hash: sha256(token), expires_at: expiresAt })
  return token
}

/** Starts a session on one device: a refresh token family and a first access token. */
export async function createSession(db: Knex, settings: SessionSettings, userId: string, client: ClientInfo): Promise<IssuedTokens> {
  const refreshTokenExpiresAt = new Date(Date.now() + settings.refreshTokenTtlDays * 86_400_000)
  return db.transaction(async (trx) => {
    const [session] = await trx('user_sessions')
      .insert({ user_id: userId, user_agent: client.userAgent?.slice(0, 512) ?? null, ip: client.ip, expires_at: refreshTokenExpiresAt })
      .returning('id')
    // Sign-ins of a user who restricted the processing of their data are not tracked; the session
    // itself is still recorded, because it is what lets them see and end their own sign-ins.
    await trx('users').where({ id: userId }).whereNull('processing_restricted_at').update({ last_login_at: trx.fn.now() })
    const refreshToken = await issueRefreshToken(trx, session.id, refreshTokenExpiresAt)
    const access = await signAccessToken(settings.jwtKeys, settings.accessTokenTtlSeconds, { userId, sessionId: session.id })
    return { sessionId: session.id, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken, refreshTokenExpiresAt }
  })
}

/**
 * Exchanges a refresh token for a new pair. Each token works once: presenting a token that was
 * already exchanged means it was copied, so the whole session (every token of the family) is
 * revoked and the reuse audit-logged. The session keeps its original expiry.
 */
export async function refreshSession(db: Knex, settings: SessionSettings, refreshToken: string, client: ClientInfo): Promise<IssuedTokens & { userId: string }> {
  const invalid = () => new AppError('UNAUTHENTICATED', 'The refresh token is not valid')
  if (!refreshToken.startsWith(REFRESH_PREFIX)) throw invalid()
  const hash = sha256(refreshToken)
  const outcome = await db.transaction(async (trx) => {
    const row = await trx('refresh_tokens as t')
      .join('user_sessions as s', 's.id', 't.session_id')
      .join('users as u', 'u.id', 's.user_id')
      .where('t.token_hash', hash)
      .select('t.id', 't.token_hash', 't.rotated_at', 't.expires_at', 's.id as session_id', 's.user_id', 's.revoked_at', 's.expires_at as session_expires_at', 'u.status')
      .forUpdate()
      .first()
    if (!row || !digestsEqual(hash, row.token_hash)) return { kind: 'invalid' as const }
    if (row.rotated_at) {
      if (!row.revoked_at) {
        await trx('user_sessions').where({ id: row.session_id }).update({ revoked_at: trx.fn.now(), revoked_reason: 'token_reuse' })
        await recordAudit(trx, {
          action: 'session.refresh_token_reused',
          actor: { type: 'user', id: row.user_id },
          target: { type: 'session', id: row.session_id },
          ip: client.ip,
          userAgent: client.userAgent,
        })
      }
      return { kind: 'reused' as const, userId: row.user_id as string }
    }
    if (row.revoked_at || row.expires_at.getTime() <= Date.now() || row.status !== 'active') return { kind: 'invalid' as const }
    await trx('refresh_tokens').where({ id: row.id }).update({ rotated_at: trx.fn.now() })
    await trx('user_sessions').where({ id: row.session_id }).update({ last_used_at: trx.fn.now(), ip: client.ip ?? null })
    const newRefresh = await issueRefreshToken(trx, row.session_id, row.session_expires_at)
    const access = await signAccessToken(settings.jwtKeys, settings.accessTokenTtlSeconds, { userId: row.user_id, sessionId: row.session_id })
    return {
      kind: 'rotated' as const,
      tokens: { sessionId: row.session_id, userId: row.user_id, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken: newRefresh, refreshTokenExpiresAt: row.session_expires_at },
    }
  })
  if (outcome.kind === 'rotated') return outcome.tokens
  if (outcome.kind === 'reused') throw new RefreshTokenReusedError(outcome.userId)
  throw invalid()
}

/** Raised after a reused refresh token revoked its session; carries the user so they can be alerted. */
export class RefreshTokenReusedError extends AppError {
  readonly userId: string
  constructor(userId: string) {
    super('UNAUTHENTICATED', 'The refresh token is not valid')
    this.userId = userId
  }
}

/** Revokes one session of a user; false when the user has no such live session. */
export async function revokeSession(db: Knex, userId: string, sessionId: string, reason: RevokeReason): Promise<boolean> {
  const updated = await db('user_sessions').where({ id: sessionId, user_id: userId }).whereNull('revoked_at').update({ revoked_at: db.fn.now(), revoked_reason: reason })
  return updated > 0
}

/** Revokes every live session of a user (password reset, account closure). */
export async function revokeAllSessions(db: Knex, userId: string, reason: RevokeReason): Promise<number> {
  return db('user_sessions').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: db.fn.now(), revoked_reason: reason })
}
