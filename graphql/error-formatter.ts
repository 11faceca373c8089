import type { FastifyBaseLogger } from 'fastify'
import { GraphQLError, type ExecutionResult } from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { AppError, type ErrorCode } from '../core/index.ts'

/** Codes for requests that never reached a resolver. */
export type RequestErrorCode = 'BAD_REQUEST' | 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED'

const INTERNAL_MESSAGE = 'Internal server error'

interface FormattedError {
  message: string
  locations?: readonly { line: number; column: number }[]
  path?: readonly (string | number)[]
  extensions: { code: ErrorCode | RequestErrorCode; details?: Record<string, unknown> }
}

interface Formatted {
  error: FormattedError
  /** Set for errors that stopped the request before execution: the HTTP status to answer with. */
  requestStatus?: number
}

/**
 * The one place errors become GraphQL errors. An AppError shows its code, message and details;
 * a malformed request or document shows what was wrong with it; anything else is logged with its
 * cause and shown only as INTERNAL, so stack traces, SQL and secrets never reach a client.
 */
export function formatExecutionErrors(
  execution: ExecutionResult & { statusCode?: number },
  context: MercuriusContext,
): { statusCode: number; response: ExecutionResult } {
  const log = context.reply?.log ?? context.app.log
  const formatted = (execution.errors ?? []).flatMap(expandRequestErrors).map((error) => formatError(error, log))
  const errors = formatted.map((f) => f.error) as unknown as GraphQLError[]
  const requestStatus = formatted.find((f) => f.requestStatus)?.requestStatus
  // GraphQL-over-HTTP: a request that could not be executed is a 4xx with no `data` entry; once
  // execution started the answer is a 200 carrying data and errors side by side.
  if (requestStatus) return { statusCode: requestStatus, response: { errors } }
  return { statusCode: 200, response: { data: execution.data ?? null, errors } }
}

/** mercurius wraps all validation errors of a request into one error whose `errors` lists them. */
function expandRequestErrors(error: GraphQLError): GraphQLError[] {
  const inner = (error.originalError as { errors?: unknown } | undefined)?.errors
  if (!Array.isArray(inner)) return [error]
  return inner.map((e) => (e instanceof GraphQLError ? e : new GraphQLError(String((e as Error).message ?? e))))
}

function formatError(error: GraphQLError, log: FastifyBaseLogger): Formatted {
  const base = { ...(error.locations && { locations: error.locations }), ...(error.path && { path: error.path }) }
  const original = error.originalError
  if (original instanceof AppError) {
    return { error: { message: original.message, ...base, extensions: { code: original.code, ...(original.details && { details: original.details }) } } }
  }
  if (!original) {
    // Raised by graphql-js itself: syntax, validation or variable coercion.
    // The parser's errors carry a source position and no AST nodes; validation rules (graphql-armor
    // among them, whose messages also start with "Syntax Error") report neither or point at nodes.
    const parseFailure = error.message.startsWith('Syntax Error') && error.source !== undefined && !error.nodes
    const code: RequestErrorCode = parseFailure ? 'GRAPHQL_PARSE_FAILED' : 'GRAPHQL_VALIDATION_FAILED'
    return { error: { message: error.message, ...base, extensions: { code } }, requestStatus: 400 }
  }
  const status = clientErrorStatus(original)
  if (status) return { error: { message: original.message, ...base, extensions: { code: 'BAD_REQUEST' } }, requestStatus: status }
  log.error({ err: original, path: error.path }, 'graphql request failed')
  return { error: { message: INTERNAL_MESSAGE, ...base, extensions: { code: 'INTERNAL' } } }
}

/** Fastify and mercurius report malformed HTTP requests (bad JSON, bad body shape, wrong method) with a 4xx status. */
function clientErrorStatus(error: Error): number | undefined {
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown }
  const framework = typeof code === 'string' && (code.startsWith('FST_') || code.startsWith('MER_'))
  const validation = 'validation' in error
  return (framework || validation) && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : undefined
}

/**
 * An error refusing a subscription, in the shape the rest of the API uses. mercurius sends these
 * over the socket without the error formatter, so the code is attached here: an AppError keeps its
 * code and details, anything else is logged and becomes INTERNAL.
 */
export function subscriptionError(error: unknown, log: FastifyBaseLogger): GraphQLError {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error
  if (original instanceof AppError) return new GraphQLError(original.message, { extensions: { code: original.code, ...(original.details && { details: original.details }) } })
  log.error({ err: original }, 'graphql subscription failed')
  return new GraphQLError(INTERNAL_MESSAGE, { extensions: { code: 'INTERNAL' } })
}
