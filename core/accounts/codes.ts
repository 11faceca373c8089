import { CodeError, consumeCode, type CodeFailure, type CodePurpose } from '../auth/one-time-codes.ts'
import { userError, type UserErrorCode } from '../errors/user-error.ts'
import type { AccountDeps } from './deps.ts'

const USER_ERROR_OF: Record<CodeFailure, UserErrorCode> = { CODE_INVALID: 'INVALID', CODE_EXPIRED: 'EXPIRED', TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS' }

/** Checks and consumes a code; a refused code becomes a user error on `input.code`. */
export async function consumeCodeAsUserError(deps: AccountDeps, address: string, purpose: CodePurpose, code: string) {
  try {
    return await consumeCode(deps.db, pepperOf(deps), { email: address, purpose, code })
  } catch (error) {
    if (error instanceof CodeError) throw userError('code', USER_ERROR_OF[error.failure], error.message)
    throw error
  }
}

export function pepperOf(deps: AccountDeps): string {
  const pepper = deps.config.auth.pepper
  if (!pepper) throw new Error('AUTH_PEPPER is not resolved')
  return pepper
}
