import type { MercuriusContext } from 'mercurius'
import { fromGlobalId } from '../relay/global-id.ts'
import { AppError, isUuid, type AuditEntry, type Permission, PERMISSIONS, type UserError, UserInputError } from '../../core/index.ts'

/**
 * Runs a mutation's work: refused input becomes `userErrors` in the payload (the work wrote
 * nothing, or rolled back); every other failure stays an error with its code.
 */
export function mutation<Input, Payload extends object>(work: (input: Input, context: MercuriusContext) => Promise<Payload>) {
  return async (_root: unknown, args: { input: Input }, context: MercuriusContext): Promise<Payload | { userErrors: UserError[] }> => {
    try {
      return { ...(await work(args.input ?? ({} as Input), context)), userErrors: [] }
    } catch (error) {
      if (error instanceof UserInputError) return { userErrors: error.userErrors }
      throw error
    }
  }
}

/** The database id inside a global id of the expected type; any other id names nothing here. */
export function localId(globalId: string, type: string): string {
  const decoded = fromGlobalId(globalId)
  if (decoded.type !== type) throw new AppError('NOT_FOUND', `${type} was not found`)
  return decoded.localId
}

/** Like localId, for optional arguments. */
export function optionalLocalId(globalId: string | null | undefined, type: string): string | null {
  return globalId ? localId(globalId, type) : null
}

/** GraphQL enums are SCREAMING_CASE; the database stores lower case. */
export const toEnum = (value: string) => value.toUpperCase()
export const fromEnum = (value: string) => value.toLowerCase()

/** Permission values: `calls:read` <-> CALLS_READ. */
export const permissionToEnum = (permission: string) => permission.replace(':', '_').toUpperCase()
export function permissionFromEnum(value: string): Permission {
  const permission = PERMISSIONS.find((p) => permissionToEnum(p) === value)
  if (!permission) throw new AppError('BAD_USER_INPUT', `Unknown permission ${value}`)
  return permission
}

/** The user acting, for records that name a person (a lead's owner, a note's author); null for keys and tokens. */
export async function actingUserId(ctx: MercuriusContext): Promise<string | null> {
  const principal = (await ctx.access()).principal
  return principal.kind === 'user' ? principal.userId : null
}

/** For what belongs to the platform rather than to a customer (job queues, policy versions); returns the operator's user id. */
export async function requirePlatformOperator(ctx: MercuriusContext, what: string): Promise<string> {
  const { principal } = await ctx.access()
  if (principal.kind === 'anonymous') throw new AppError('UNAUTHENTICATED', 'Sign in first')
  const operator = principal.kind === 'user' && (await ctx.db('users').where({ id: principal.userId, platform_operator: true }).first('id'))
  if (!operator) throw new AppError('FORBIDDEN', `Only platform operators may ${what}`)
  return operator.id as string
}

/** Who acted, as the audit log records it. */
export async function auditActor(ctx: MercuriusContext): Promise<AuditEntry['actor']> {
  const principal = (await ctx.access()).principal
  if (principal.kind === 'user') return { type: 'user', id: principal.userId }
  if (principal.kind === 'anonymous') return { type: 'system', id: null }
  return { type: principal.kind === 'embed' ? 'embed_token' : 'api_key', id: principal.apiKeyId }
}

type Row = Record<string, any>

/** A row of a business-owned table, for node(id:): null when it does not exist or the caller lacks `permission` in its business. */
export async function visibleRow(ctx: MercuriusContext, table: string, id: string, permission: Permission): Promise<Row | null> {
  if (!isUuid(id)) return null
  const row = await ctx.db(table).where({ id }).first()
  const scope = row && (await (await ctx.access()).businessScope(row.business_id))
  return scope?.permissions.has(permission) ? row : null
}
