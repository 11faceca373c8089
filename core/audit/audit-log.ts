import type { Knex } from 'knex'

export type ActorType = 'user' | 'api_key' | 'embed_token' | 'worker' | 'system'

export interface AuditEntry {
  /** Dotted, past tense: `session.token_reused`, `api_key.revoked`. */
  action: string
  actor: { type: ActorType; id: string | null }
  organizationId?: string | null
  businessId?: string | null
  target?: { type: string; id: string }
  ip?: string | null
  userAgent?: string | null
  /** Never secrets or personal data beyond ids: the audit log outlives erasure. */
  metadata?: Record<string, unknown>
}

/** Appends a security-relevant action to the audit log, inside the caller's transaction when given one. */
export async function recordAudit(db: Knex, entry: AuditEntry): Promise<void> {
  await db('audit_log').insert({
    action: entry.action,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    organization_id: entry.organizationId ?? null,
    business_id: entry.businessId ?? null,
    target_type: entry.target?.type ?? null,
    target_id: entry.target?.id ?? null,
    ip: entry.ip ?? null,
    user_agent: entry.userAgent?.slice(0, 512) ?? null,
    metadata: entry.metadata ?? {},
  })
}
