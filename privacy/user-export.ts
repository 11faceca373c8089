import type { Knex } from '../core/index.ts'
import type { DataRequestHandlers } from './data-requests.ts'

type Row = Record<string, any>

/**
 * Everything the product holds about a platform user, as a machine-readable archive: their
 * profile, memberships, sessions (with the device and address each was used from), what the audit
 * log says they did, the lead notes they wrote, the policy versions they acknowledged, and their
 * data requests. Other people's data is left out: notes are theirs, but the leads they are on are not.
 */
export async function exportUserData(db: Knex, userId: string): Promise<{ archive: Record<string, unknown>; counts: Record<string, number> }> {
  const user = await db('users').where({ id: userId, status: 'active' }).first()
  // An erasure cancels the requests it finds, but a job already running when it commits lands here.
  if (!user) throw new Error('the account no longer exists')
  const memberships: Row[] = await db('memberships as m')
    .join('organizations as o', 'o.id', 'm.organization_id')
    .leftJoin('businesses as b', 'b.id', 'm.business_id')
    .where('m.user_id', userId)
    .orderBy('m.created_at')
    .select('m.organization_id', 'o.name as organization_name', 'm.role', 'm.business_id', 'b.name as business_name', 'm.created_at')
  const sessions: Row[] = await db('user_sessions').where({ user_id: userId }).orderBy('created_at').select('id', 'created_at', 'last_used_at', 'expires_at', 'revoked_at', 'revoked_reason', 'user_agent', 'ip')
  const auditEntries: Row[] = await db('audit_log').where({ actor_type: 'user', actor_id: userId }).orderBy('created_at').select('action', 'organization_id', 'business_id', 'target_type', 'target_id', 'ip', 'user_agent', 'metadata', 'created_at')
  const leadNotes: Row[] = await db('lead_notes').where({ author_user_id: userId }).orderBy('created_at').select('id', 'lead_id', 'business_id', 'body', 'created_at')
  const acknowledgements: Row[] = await db('policy_acknowledgements as a')
    .join('policy_versions as v', 'v.id', 'a.policy_version_id')
    .where('a.user_id', userId)
    .orderBy('a.acknowledged_at')
    .select('v.id', 'v.kind', 'v.version', 'v.url', 'a.acknowledged_at')
  const dataRequests: Row[] = await db('data_requests')
    .where((q) => q.where({ subject_user_id: userId }).orWhere({ requested_by: userId }))
    .orderBy('created_at')
    .select('id', 'subject_type', 'kind', 'status', 'organization_id', 'business_id', 'created_at', 'completed_at')

  const archive = {
    exportedAt: new Date().toISOString(),
    profile: {
      id: user.id,
      email: user.email,
      emailVerifiedAt: user.email_verified_at,
      displayName: user.display_name,
      locale: user.locale,
      processingRestrictedAt: user.processing_restricted_at,
      lastLoginAt: user.last_login_at,
      signedInWithGoogle: user.google_subject !== null,
      createdAt: user.created_at,
      updatedAt: user.updated_at,
    },
    memberships: memberships.map((m) => ({ organizationId: m.organization_id, organizationName: m.organization_name, role: m.role, businessId: m.business_id, businessName: m.business_name, since: m.created_at })),
    sessions: sessions.map((s) => ({ id: s.id, createdAt: s.created_at, lastUsedAt: s.last_used_at, expiresAt: s.expires_at, revokedAt: s.revoked_at, revokedReason: s.revoked_reason, userAgent: s.user_agent, ipAddress: s.ip })),
    auditEntries: auditEntries.map((a) => ({ action: a.action, organizationId: a.organization_id, businessId: a.business_id, target: a.target_type ? { type: a.target_type, id: a.target_id } : null, ipAddress: a.ip, userAgent: a.user_agent, details: a.metadata, at: a.created_at })),
    leadNotes: leadNotes.map((n) => ({ id: n.id, leadId: n.lead_id, businessId: n.business_id, body: n.body, createdAt: n.created_at })),
    policyAcknowledgements: acknowledgements.map((a) => ({ policyVersionId: a.id, kind: a.kind, version: a.version, url: a.url, acknowledgedAt: a.acknowledged_at })),
    dataRequests: dataRequests.map((r) => ({ id: r.id, about: r.subject_type === 'user' ? 'you' : 'a caller', kind: r.kind, status: r.status, organizationId: r.organization_id, businessId: r.business_id, createdAt: r.created_at, completedAt: r.completed_at })),
  }
  const counts = { memberships: memberships.length, sessions: sessions.length, auditEntries: auditEntries.length, leadNotes: leadNotes.length, policyAcknowledgements: acknowledgements.length, dataRequests: dataRequests.length }
  return { archive, counts }
}

/** The handlers that serve platform users' own requests, for the data-request worker. */
export function userRequestHandlers(deps: { db: Knex }): DataRequestHandlers {
  return {
    'user:export': async (run) => exportUserData(deps.db, run.request.subject_user_id as string),
  }
}
