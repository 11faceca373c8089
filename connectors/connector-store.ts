import { open, seal, type Knex, type SealingKey } from '../core/index.ts'
import type { ConnectorContext } from './connector.ts'

type Row = Record<string, any>

/** Credentials are bound to their connector: a ciphertext copied onto another connector does not open. */
const sealContext = (connectorId: string) => `connector:${connectorId}`

export function sealCredentials(keys: readonly SealingKey[], connectorId: string, credentials: Record<string, unknown>): { credentials_ciphertext: Buffer; credentials_key_id: string } {
  const { ciphertext, kid } = seal(keys, JSON.stringify(credentials), sealContext(connectorId))
  return { credentials_ciphertext: ciphertext, credentials_key_id: kid }
}

export function openCredentials(keys: readonly SealingKey[], row: Row): Record<string, unknown> | null {
  if (!row.credentials_ciphertext) return null
  return JSON.parse(open(keys, { ciphertext: row.credentials_ciphertext, kid: row.credentials_key_id }, sealContext(row.id))) as Record<string, unknown>
}

/** What a connector gets to work with: its settings, its opened credentials, and a way to store refreshed ones. */
export function connectorContext(db: Knex, keys: readonly SealingKey[], row: Row, options: { previousExternalId: string | null; signal: AbortSignal }): ConnectorContext {
  return {
    connector: { id: row.id, businessId: row.business_id, name: row.name, config: row.config ?? {}, fieldMapping: row.field_mapping ?? {} },
    credentials: openCredentials(keys, row),
    async saveCredentials(credentials) {
      await db('connectors').where({ id: row.id }).update(sealCredentials(keys, row.id, credentials))
    },
    previousExternalId: options.previousExternalId,
    signal: options.signal,
  }
}
