import bcrypt from 'bcryptjs'
import type { Knex } from 'knex'
import { createApiKey } from '../auth/api-keys.ts'
import type { MembershipRole, Permission } from '../auth/permissions.ts'

let sequence = 0
const unique = () => `${Date.now().toString(36)}${(sequence++).toString(36)}`

/** Test passwords are hashed at cost 4: fast, and still real bcrypt. */
export const TEST_PASSWORD = 'correct horse battery'
const TEST_PASSWORD_HASH = bcrypt.hashSync(TEST_PASSWORD, 4)

export async function insertUser(db: Knex, options: { email?: string; verified?: boolean; status?: string } = {}): Promise<{ id: string; email: string }> {
  const email = options.email ?? `user-${unique()}@example.com`
  const [row] = await db('users')
    .insert({ email, password_hash: TEST_PASSWORD_HASH, email_verified_at: options.verified === false ? null : new Date(), status: options.status ?? 'active' })
    .returning('id')
  return { id: row.id, email }
}

export async function insertOrganization(db: Knex, options: { kind?: 'direct' | 'agency'; name?: string; businesses?: number } = {}): Promise<{ id: string; businessIds: string[] }> {
  const [org] = await db('organizations').insert({ kind: options.kind ?? 'agency', name: options.name ?? `Org ${unique()}` }).returning('id')
  const businessIds: string[] = []
  for (let i = 0; i < (options.businesses ?? 1); i++) {
    const [business] = await db('businesses').insert({ organization_id: org.id, name: `Business ${i + 1}` }).returning('id')
    businessIds.push(business.id)
  }
  return { id: org.id, businessIds }
}

export async function insertMembership(db: Knex, userId: string, organizationId: string, role: MembershipRole, businessId: string | null = null): Promise<string> {
  const [row] = await db('memberships').insert({ user_id: userId, organization_id: organizationId, role, business_id: businessId }).returning('id')
  return row.id
}

export async function insertApiKey(db: Knex, organizationId: string, scopes: Permission[], businessId: string | null = null): Promise<{ id: string; secret: string }> {
  const key = await createApiKey(db, { organizationId, businessId, name: `key ${unique()}`, scopes, createdBy: null })
  return { id: key.id, secret: key.secret }
}
