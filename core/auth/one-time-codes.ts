import type { Knex } from 'knex'
import { AppError } from '../errors/app-error.ts'
import { digestsEqual, keyedHash, randomDigits } from './secrets.ts'

export type CodePurpose = 'verify_email' | 'reset_password' | 'change_email'

export const CODE_LENGTH = 6
export const CODE_TTL_MINUTES = 15
export const CODE_MAX_ATTEMPTS = 5

/** Why a code was refused; each becomes a user error on the `code` field. */
export type CodeFailure = 'CODE_INVALID' | 'CODE_EXPIRED' | 'TOO_MANY_ATTEMPTS'

/**
 * Issues a fresh code for the email and purpose, and retires any earlier one, so only the code
 * in the newest email works. Only a keyed hash of the code is stored.
 */
export async function issueCode(db: Knex, pepper: string, input: { email: string; userId: string | null; purpose: CodePurpose }): Promise<string> {
  const code = randomDigits(CODE_LENGTH)
  await db.transaction(async (trx) => {
    await trx('one_time_codes').where({ email: input.email, purpose: input.purpose }).whereNull('consumed_at').update({ consumed_at: trx.fn.now() })
    await trx('one_time_codes').insert({
      email: input.email,
      user_id: input.userId,
      purpose: input.purpose,
      code_hash: keyedHash(pepper, `${input.purpose}:${input.email}:${code}`),
      max_attempts: CODE_MAX_ATTEMPTS,
      expires_at: new Date(Date.now() + CODE_TTL_MINUTES * 60_000),
    })
  })
  return code
}

/**
 * Checks a code and consumes it. The row is locked while checking, so parallel guesses cannot
 * exceed the attempt limit; a wrong guess is counted even though the request fails.
 * Returns the user the code was issued to.
 */
export async function consumeCode(db: Knex, pepper: string, input: { email: string; purpose: CodePurpose; code: string }): Promise<{ userId: string | null }> {
  const failure = await db.transaction(async (trx): Promise<CodeFailure | { userId: string | null }> => {
    const row = await trx('one_time_codes')
      .where({ email: input.email, purpose: input.purpose })
      .whereNull('consumed_at')
      .orderBy('created_at', 'desc')
      .forUpdate()
      .first()
    if (!row) return 'CODE_INVALID'
    if (row.expires_at.getTime() <= Date.now()) return 'CODE_EXPIRED'
    if (row.attempts >= row.max_attempts) return 'TOO_MANY_ATTEMPTS'
    const presented = keyedHash(pepper, `${input.purpose}:${input.email}:${input.code.trim()}`)
    if (!digestsEqual(presented, row.code_hash)) {
      await trx('one_time_codes').where({ id: row.id }).increment('attempts', 1)
      return row.attempts + 1 >= row.max_attempts ? 'TOO_MANY_ATTEMPTS' : 'CODE_INVALID'
    }
    await trx('one_time_codes').where({ id: row.id }).update({ consumed_at: trx.fn.now() })
    return { userId: row.user_id }
  })
  if (typeof failure === 'string') throw new CodeError(failure)
  return failure
}

const CODE_MESSAGES: Record<CodeFailure, string> = {
  CODE_INVALID: 'The code is not valid',
  CODE_EXPIRED: 'The code has expired; ask for a new one',
  TOO_MANY_ATTEMPTS: 'Too many wrong codes; ask for a new one',
}

/** A refused code: shown to the user next to the code field. */
export class CodeError extends AppError {
  readonly failure: CodeFailure
  constructor(failure: CodeFailure) {
    super('BAD_USER_INPUT', CODE_MESSAGES[failure], { reason: failure })
    this.failure = failure
  }
}
