import type { ZodError } from 'zod'

/** Closed set of reasons an input field was refused; mirrored by the GraphQL UserErrorCode enum. */
export type UserErrorCode =
  | 'REQUIRED'
  | 'INVALID'
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'OUT_OF_RANGE'
  | 'TAKEN'
  | 'NOT_ALLOWED'
  | 'INVALID_CREDENTIALS'
  | 'EMAIL_NOT_VERIFIED'
  | 'EXPIRED'
  | 'TOO_MANY_ATTEMPTS'

export interface UserError {
  /** Path to the field at fault, starting at the mutation's `input`. */
  field: string[]
  code: UserErrorCode
  message: string
}

/** Thrown by domain code when input is refused; mutations turn it into `userErrors`, and nothing is written. */
export class UserInputError extends Error {
  readonly userErrors: UserError[]
  constructor(userErrors: UserError[]) {
    super(userErrors.map((e) => `${e.field.join('.')}: ${e.message}`).join('; '))
    this.name = 'UserInputError'
    this.userErrors = userErrors
  }
}

export function userError(field: string, code: UserErrorCode, message: string): UserInputError {
  return new UserInputError([{ field: ['input', ...field.split('.')], code, message }])
}

/** Maps zod's issues onto user errors, one per field. */
export function userErrorsFromZod(error: ZodError): UserInputError {
  return new UserInputError(
    error.issues.map((issue) => {
      const code: UserErrorCode =
        issue.code === 'too_small' ? (issue.origin === 'string' ? 'TOO_SHORT' : 'OUT_OF_RANGE') : issue.code === 'too_big' ? (issue.origin === 'string' ? 'TOO_LONG' : 'OUT_OF_RANGE') : 'INVALID'
      return { field: ['input', ...issue.path.map(String)], code, message: issue.message }
    }),
  )
}
