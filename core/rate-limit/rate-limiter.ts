import type { Knex } from 'knex'
import { sha256 } from '../auth/secrets.ts'
import { AppError } from '../errors/app-error.ts'

/** A leaky bucket: `capacity` actions at once, refilled evenly over `perSeconds`. */
export interface RateLimit {
  readonly name: string
  readonly capacity: number
  readonly perSeconds: number
}

/**
 * The limits on authentication, per client address and per account. Sized so a person who
 * mistypes a few times is never stopped, and a script guessing passwords or codes is.
 */
export const AUTH_LIMITS = {
  signUpPerIp: { name: 'sign_up.ip', capacity: 10, perSeconds: 3600 },
  logInPerIp: { name: 'log_in.ip', capacity: 30, perSeconds: 600 },
  logInPerAccount: { name: 'log_in.account', capacity: 10, perSeconds: 900 },
  codePerIp: { name: 'code.ip', capacity: 30, perSeconds: 600 },
  codePerAccount: { name: 'code.account', capacity: 10, perSeconds: 900 },
  resetRequestPerIp: { name: 'reset_request.ip', capacity: 10, perSeconds: 3600 },
  resetRequestPerAccount: { name: 'reset_request.account', capacity: 3, perSeconds: 3600 },
  refreshPerIp: { name: 'refresh.ip', capacity: 120, perSeconds: 60 },
  embedTokenPerKey: { name: 'embed_token.key', capacity: 120, perSeconds: 60 },
} as const satisfies Record<string, RateLimit>

// Keep counting past the limit (hammering keeps a client out) but only up to twice the
// capacity, so a lockout always ends.
const OVERFLOW_FACTOR = 2

/**
 * Takes one unit from each bucket in PostgreSQL, so the limit holds across api instances, and
 * throws RATE_LIMITED (with the seconds to wait) when any bucket is full. Subjects are hashed.
 */
export async function enforceRateLimits(db: Knex, checks: ReadonlyArray<readonly [RateLimit, string]>): Promise<void> {
  let retryAfterSeconds = 0
  for (const [limit, subject] of checks) {
    const key = `${limit.name}:${sha256(subject.toLowerCase()).toString('base64url').slice(0, 32)}`
    const rate = limit.capacity / limit.perSeconds
    const { rows } = await db.raw(
      `insert into rate_limit_buckets as b (key, level, updated_at) values (?, 1, now())
       on conflict (key) do update set
         level = least(?, greatest(0, b.level - extract(epoch from (now() - b.updated_at)) * ?) + 1),
         updated_at = now()
       returning level`,
      [key, limit.capacity * OVERFLOW_FACTOR, rate],
    )
    const level = Number((rows as Array<{ level: number }>)[0]?.level)
    if (level > limit.capacity) retryAfterSeconds = Math.max(retryAfterSeconds, Math.ceil((level - limit.capacity) / rate))
  }
  if (retryAfterSeconds > 0) {
    throw new AppError('RATE_LIMITED', `Too many attempts; try again in ${retryAfterSeconds} seconds`, { retryAfterSeconds })
  }
}
