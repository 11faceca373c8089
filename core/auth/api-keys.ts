import type { Knex } from 'knex'
import type { Permission } from './permissions.ts'
import { digestsEqual, randomAlphanumeric, sha256 } from './secrets.ts'

// Keys look like al_<12-char prefix>_<32-char secret>. The prefix is shown in lists and logs so
// people can tell keys apart; only a hash of the whole key is stored.
const KEY_PATTERN = /^al_([A-Za-z0-9]{12})_([A-Za-z0-9]{32})$/
// Writing last_used_at on every request would turn each read into a write.
const LAST_USED_RESOLUTION_MS = 60_000

export interface ApiKeyRecord {
  id: string
  organizationId: string
  businessId: string | null
  name: string
  prefix: string
  scopes: Permission[]
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('al_')
}

/** Creates a key; the returned secret is shown once and cannot be recovered. */
export async function createApiKey(
  db: Knex,
  input: { organizationId: string; businessId: string | null; name: string; scopes: Permission[]; createdBy: string | null },
): Promise<{ id: string; prefix: string; secret: string }> {
  const prefix = `al_${randomAlphanumeric(12)}`
  const secret = `${prefix}_${randomAlphanumeric(32)}`
  const [row] = await db('api_keys')
    .insert({
      organization_id: input.organizationId,
      business_id: input.businessId,
      name: input.name,
      prefix,
      key_hash: sha256(secret),
      scopes: input.scopes,
      created_by: input.createdBy,
    })
    .returning('id')
  return { id: row.id, prefix, secret }
}

/** Finds the live key for a presented secret, or null. The hash is compared in constant time. */
export async function authenticateApiKey(db: Knex, presented: string): Promise<ApiKeyRecord | null> {
  const match = KEY_PATTERN.exec(presented)
  if (!match) return null
  const row = await db('api_keys as k')
    .join('organizations as o', 'o.id', 'k.organization_id')
    .where('k.prefix', `al_${match[1]}`)
    .whereNull('k.revoked_at')
    .where((q) => q.whereNull('k.expires_at').orWhere('k.expires_at', '>', db.fn.now()))
    .where('o.status', 'active')
    .select('k.*')
    .first()
  if (!row || !digestsEqual(sha256(presented), row.key_hash)) return null
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await db('api_keys').where({ id: row.id }).update({ last_used_at: db.fn.now() })
  }
  return { id: row.id, organizationId: row.organization_id, businessId: row.business_id, name: row.name, prefix: row.prefix, scopes: row.scopes }
}
