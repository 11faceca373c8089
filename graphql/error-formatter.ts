import type { FastifyBaseLogger } from 'fastify'
import { GraphQLError, type ExecutionResult } from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { AppError, type ErrorCode } from '../core/errors/app-error.ts'

/** Codes for requests that never reached a resolver. */
export type RequestErrorCode = 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED'

const INTERNAL_MESSAGE = 'Internal server error'

interface FormattedError {
  message: string
  locations?: readonly { line: number; column: number }[]
  path?: readonly (string | number)[]
  extensions: { code: ErrorCode | RequestErrorCode; details?: Record<string, unknown> }
}

/**
 * The one place errors become GraphQL errors. An AppError shows its code, message and details;
 * a parse or validation error its GraphQL message; anything else is logged with its cause and
 * shown only as INTERNAL, so stack traces, SQL and secrets never reach a client.
 */
export function formatExecutionErrors(
  execution: ExecutionResult & { statusCode?: number },
  context: MercuriusContext,
): { statusCode: number; response: ExecutionResult } {
  const log = context.reply?.log ?? context.app.log
  const errors = (execution.errors ?? []).flatMap((error) => expandRequestErrors(error)).map((error) => formatError(error, log))
  const requestFailed = errors.some((error) => error.extensions.code === 'GRAPHQL_PARSE_FAILED' || error.extensions.code === 'GRAPHQL_VALIDATION_FAILED')
  // GraphQL-over-HTTP: a request that could not be executed is a 400; once execution started the
  // response is a 200 carrying data and errors side by side.
  const statusCode = requestFailed ? 400 : execution.data === undefined && execution.statusCode ? execution.statusCode : 200
  return { statusCode, response: { data: execution.data ?? null, errors: errors as unknown as GraphQLError[] } }
}

/** mercurius wraps all validation errors of a request into one error whose `errors` lists them. */
function expandRequestErrors(error: GraphQLError): GraphQLError[] {
  const inner = (error.originalError as { errors?: unknown } | undefined)?.errors
  if (!Array.isArray(inner)) return [error]
  return inner.map((e) => (e instanceof GraphQLError ? e : new GraphQLError(String((e as Error).message ?? e))))
}

function formatError(error: GraphQLError, log: FastifyBaseLogger): FormattedError {
  const base = { ...(error.locations && { locations: error.locations }), ...(error.path && { path: error.path }) }
  const original = error.originalError
  if (original instanceof AppError) {
    return { message: original.message, ...base, extensions: { code: original.code, ...(original.details && { details: original.details }) } }
  }
  if (!original || isRequestError(original)) {
    const code: RequestErrorCode = error.message.startsWith('Syntax Error') ? 'GRAPHQL_PARSE_FAILED' : 'GRAPHQL_VALIDATION_FAILED'
    return { message: error.message, ...base, extensions: { code } }
  }
  log.error({ err: original, path: error.path }, 'graphql resolver failed')
  return { message: INTERNAL_MESSAGE, ...base, extensions: { code: 'INTERNAL' } }
}

// mercurius reports bad variables and malformed bodies as its own FST/MER errors with a 400 status.
function isRequestError(error: Error): boolean {
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown }
  return statusCode === 400 && typeof code === 'string' && code.startsWith('MER_ERR_GQL')
}
