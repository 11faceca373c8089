import type { z } from 'zod'
import { AppError, requirePlanFeature, signOAuthState, UserInputError, verifyOAuthState, type Config, type Knex, type UserError } from '../core/index.ts'
import { EVENT_TYPES, type ConnectorKind, type EventType } from './connector.ts'
import { connectorContext, openCredentials, sealCredentials } from './connector-store.ts'
import { oauthAppOf, type ConnectorRegistry } from './registry.ts'
import { rotateSecret, webhookCredentialsSchema } from './webhook/webhook-secrets.ts'

export interface AdminDeps {
  db: Knex
  config: Config
  registry: ConnectorRegistry
}

type Row = Record<string, any>
// Long enough to sign in to the CRM and approve; short enough that a leaked link is soon useless.
const OAUTH_STATE_TTL_SECONDS = 15 * 60
const TEST_TIMEOUT_MS = 15_000
const MAPPING_SOURCE = /^(firstName|lastName|name|email|phone|reason|requestedService|urgency|temperature|callOutcome|status|custom\.[a-z][a-z0-9_]{0,39})$/

function validated<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value ?? {})
  if (parsed.success) return parsed.data
  throw new UserInputError(parsed.error.issues.map((issue): UserError => ({ field: ['input', field, ...issue.path.map(String)], code: 'INVALID', message: issue.message })))
}

function checkedEventTypes(eventTypes: string[] | undefined, fallback: readonly EventType[]): EventType[] {
  const types = eventTypes ?? [...fallback]
  const unknown = types.filter((t) => !EVENT_TYPES.includes(t as EventType))
  if (unknown.length || types.length === 0) throw new UserInputError([{ field: ['input', 'eventTypes'], code: 'INVALID', message: `Choose one or more of ${EVENT_TYPES.join(', ')}` }])
  return [...new Set(types)] as EventType[]
}

function checkedMapping(mapping: Record<string, unknown> | undefined, fallback: Record<string, string>): Record<string, string> {
  const result = mapping ?? fallback
  for (const [source, target] of Object.entries(result)) {
    if (!MAPPING_SOURCE.test(source) || typeof target !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.]{0,79}$/.test(target)) {
      throw new UserInputError([{ field: ['input', 'fieldMapping', source], code: 'INVALID', message: 'Map an Answerline field (name, email, phone, custom.<key>, ...) to a field name of the target' }])
    }
  }
  return result as Record<string, string>
}

export interface CreatedConnector {
  connector: Row
  /** For OAuth connectors: where the owner grants access; the connector starts once they do. */
  authorizeUrl: string | null
  /** For webhooks: the signing secret, shown this once. */
  signingSecret: string | null
}

/** Adds a connector to a business. Settings are validated by the connector's own schemas; secrets are sealed. */
export async function createConnector(deps: AdminDeps, input: { businessId: string; kind: ConnectorKind; name: string; config?: Record<string, unknown>; credentials?: Record<string, unknown> | null; fieldMapping?: Record<string, unknown>; eventTypes?: string[]; actorUserId: string | null }): Promise<CreatedConnector> {
  const connector = deps.registry[input.kind]
  const name = input.name.trim()
  if (!name || name.length > 100) throw new UserInputError([{ field: ['input', 'name'], code: 'INVALID', message: 'Give the connector a name of up to 100 characters' }])
  const config = validated(connector.configSchema, input.config, 'config')
  const given = input.credentials ? validated(connector.credentialsSchema ?? webhookCredentialsSchema, input.credentials, 'credentials') : null
  const oauthApp = oauthAppOf(deps.config, input.kind)
  if (input.kind !== 'webhook' && !given && !(connector.oauth && oauthApp)) {
    throw new UserInputError([{ field: ['input', 'credentials'], code: 'REQUIRED', message: connector.credentialsSchema ? 'Give an access token, or configure the OAuth app to connect by signing in' : 'The OAuth app for this CRM is not configured' }])
  }
  const business = await deps.db('businesses').where({ id: input.businessId }).first('organization_id')
  if (business) await requirePlanFeature(deps.db, { id: input.businessId, organizationId: business.organization_id }, input.kind === 'webhook' ? 'webhooks' : 'crm_connectors', ['input', 'kind'])
  const webhookCredentials = input.kind === 'webhook' ? rotateSecret(null) : null
  return deps.db.transaction(async (trx) => {
    const [row] = await trx('connectors')
      .insert({
        business_id: input.businessId,
        kind: input.kind,
        name,
        config: JSON.stringify(config),
        field_mapping: JSON.stringify(checkedMapping(input.fieldMapping, connector.defaultFieldMapping)),
        event_types: checkedEventTypes(input.eventTypes, connector.defaultEventTypes),
        // Waiting for the OAuth grant: no deliveries are queued for it until then.
        status: webhookCredentials || given ? 'active' : 'paused',
        created_by: input.actorUserId,
      })
      .returning('*')
    const credentials = webhookCredentials ?? given
    if (credentials) Object.assign(row, (await trx('connectors').where({ id: row.id }).update(sealCredentials(deps.config.connectors.keys, row.id, credentials)).returning('*'))[0])
    const authorizeUrl = !credentials && connector.oauth && oauthApp ? connector.oauth.authorizeUrl(oauthApp, await signOAuthState(deps.config.auth.jwtKeys, OAUTH_STATE_TTL_SECONDS, row.id), config) : null
    return { connector: row, authorizeUrl, signingSecret: webhookCredentials?.secrets[0]?.secret ?? null }
  })
}

/** The OAuth callback: trades the code for credentials and starts the connector the state names. */
export async function completeOAuth(deps: AdminDeps, state: string, code: string): Promise<Row> {
  const connectorId = await verifyOAuthState(deps.config.auth.jwtKeys, state)
  const row = await deps.db('connectors').where({ id: connectorId }).first()
  if (!row) throw new AppError('NOT_FOUND', 'The connector was removed before access was granted')
  const connector = deps.registry[row.kind as ConnectorKind]
  const app = oauthAppOf(deps.config, row.kind)
  if (!connector.oauth || !app) throw new AppError('BAD_USER_INPUT', 'This connector does not use OAuth')
  const credentials = await connector.oauth.exchangeCode(app, code, row.config)
  const [updated] = await deps.db('connectors').where({ id: row.id }).update({ ...sealCredentials(deps.config.connectors.keys, row.id, credentials), status: 'active', disabled_reason: null }).returning('*')
  return updated
}

/** Changes settings, mapping, subscribed events, or pauses and resumes a connector. */
export async function updateConnector(deps: AdminDeps, row: Row, input: { name?: string; config?: Record<string, unknown>; fieldMapping?: Record<string, unknown>; eventTypes?: string[]; active?: boolean }): Promise<Row> {
  const connector = deps.registry[row.kind as ConnectorKind]
  const update: Record<string, unknown> = {}
  if (input.name !== undefined) {
    const name = input.name.trim()
    if (!name || name.length > 100) throw new UserInputError([{ field: ['input', 'name'], code: 'INVALID', message: 'Give the connector a name of up to 100 characters' }])
    update.name = name
  }
  if (input.config !== undefined) update.config = JSON.stringify(validated(connector.configSchema, input.config, 'config'))
  if (input.fieldMapping !== undefined) update.field_mapping = JSON.stringify(checkedMapping(input.fieldMapping, {}))
  if (input.eventTypes !== undefined) update.event_types = checkedEventTypes(input.eventTypes, [])
  if (input.active !== undefined) {
    if (input.active && !row.credentials_ciphertext) throw new UserInputError([{ field: ['input', 'active'], code: 'NOT_ALLOWED', message: 'Connect the account first' }])
    Object.assign(update, input.active ? { status: 'active', disabled_reason: null, failing_since: null } : { status: 'paused', disabled_reason: null })
  }
  if (Object.keys(update).length === 0) return row
  const [updated] = await deps.db('connectors').where({ id: row.id }).update(update).returning('*')
  return updated
}

/** Checks the connector's credentials and reachability without changing anything there. */
export async function testConnector(deps: AdminDeps, row: Row): Promise<{ ok: boolean; message: string | null }> {
  try {
    const context = connectorContext(deps.db, deps.config.connectors.keys, row, { previousExternalId: null, signal: AbortSignal.timeout(TEST_TIMEOUT_MS) })
    await deps.registry[row.kind as ConnectorKind].test(context)
    return { ok: true, message: null }
  } catch (error) {
    return { ok: false, message: (error as Error).message.slice(0, 500) }
  }
}

/** A new webhook signing secret; the old one keeps signing for the overlap window. Returns the new secret, shown once. */
export async function rotateWebhookSecret(deps: AdminDeps, row: Row): Promise<string> {
  if (row.kind !== 'webhook') throw new UserInputError([{ field: ['input', 'connectorId'], code: 'NOT_ALLOWED', message: 'Only webhooks have signing secrets' }])
  const current = openCredentials(deps.config.connectors.keys, row)
  const next = rotateSecret(current ? webhookCredentialsSchema.parse(current) : null)
  await deps.db('connectors').where({ id: row.id }).update(sealCredentials(deps.config.connectors.keys, row.id, next))
  return next.secrets[0]?.secret as string
}

/** Sends a delivery again (a failed one, or a delivered one the target lost), as soon as a worker is free. */
export async function replayDelivery(db: Knex, delivery: Row): Promise<Row> {
  if (delivery.status === 'pending') throw new UserInputError([{ field: ['input', 'deliveryId'], code: 'NOT_ALLOWED', message: 'This delivery is already waiting to be sent' }])
  const [updated] = await db('deliveries').where({ id: delivery.id }).update({ status: 'pending', next_attempt_at: db.fn.now(), delivered_at: null, last_error: null, created_at: db.fn.now() }).returning('*')
  return updated
}
