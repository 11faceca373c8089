/**
 * The closed set of failure codes a client can see. GraphQL responses carry one in
 * `extensions.code`; adding a code is an API change and shows up in every exhaustive switch.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'INTERNAL'

/** An expected failure. Its message and `details` are shown to clients, so keep both free of secrets. */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AppError'
    this.code = code
    this.details = details
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} was not found`)
