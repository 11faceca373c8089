import { z } from 'zod'
import { type ClientInfo, isUuid, type JobQueue, type Knex, notFound, parseInput, recordAudit, userError } from '../core/index.ts'

export const POLICY_KINDS = ['terms', 'privacy', 'dpa'] as const
export type PolicyKind = (typeof POLICY_KINDS)[number]

/** Users are told of a new version at least this long before it takes effect (the database enforces it too). */
export const NOTICE_DAYS = 14
const DAY_MS = 86_400_000
const CHECK_VIOLATION = '23514'

const publishInput = z.object({
  kind: z.enum(POLICY_KINDS),
  version: z.string().trim().min(1, 'Name the version').max(40, 'Use at most 40 characters'),
  summary: z.string().trim().min(1, 'Summarise what changes').max(5000, 'Use at most 5,000 characters'),
  url: z.url({ protocol: /^https?$/, error: 'Use an http(s) link to the full text' }),
  effectiveAt: z.coerce.date({ error: 'Use an ISO 8601 date and time' }),
})

const tooSoon = () => userError('effectiveAt', 'OUT_OF_RANGE', `A new version takes effect at least ${NOTICE_DAYS} days after it is published, so every user can be told first`)

/**
 * Publishes a policy version (platform operators decide who may) and queues the emails that
 * announce it, in the same transaction: the version exists if and only if its notice job does.
 */
export async function publishPolicyVersion(deps: { db: Knex; jobs: JobQueue; client: ClientInfo }, actorUserId: string, raw: unknown): Promise<string> {
  const input = parseInput(publishInput, raw)
  if (input.effectiveAt.getTime() < Date.now() + NOTICE_DAYS * DAY_MS) throw tooSoon()
  return deps.db.transaction(async (trx) => {
    const [version] = await trx('policy_versions')
      .insert({ kind: input.kind, version: input.version, summary: input.summary, url: input.url, effective_at: input.effectiveAt })
      .onConflict(['kind', 'version'])
      .ignore()
      .returning('id')
      .catch((error: { code?: string; constraint?: string }) => {
        // published_at is the transaction's start, a moment after the check above.
        throw error.code === CHECK_VIOLATION && error.constraint === 'policy_versions_notice_period' ? tooSoon() : error
      })
    if (!version) throw userError('version', 'TAKEN', `There is already a ${input.kind} version ${input.version}`)
    await deps.jobs.enqueue('policy-notice', { policyVersionId: version.id }, { trx, singletonKey: version.id })
    await recordAudit(trx, {
      action: 'policy.published',
      actor: { type: 'user', id: actorUserId },
      target: { type: 'policy_version', id: version.id },
      ip: deps.client.ip,
      userAgent: deps.client.userAgent,
      metadata: { kind: input.kind, version: input.version, effectiveAt: input.effectiveAt.toISOString() },
    })
    return version.id as string
  })
}

/** Records that the user has seen a version; acknowledging it again changes nothing. */
export async function acknowledgePolicy(deps: { db: Knex; client: ClientInfo }, userId: string, policyVersionId: string): Promise<void> {
  const version = isUuid(policyVersionId) && (await deps.db('policy_versions').where({ id: policyVersionId }).first('kind', 'version'))
  if (!version) throw notFound('Policy version')
  await deps.db.transaction(async (trx) => {
    const inserted = await trx('policy_acknowledgements').insert({ user_id: userId, policy_version_id: policyVersionId }).onConflict(['user_id', 'policy_version_id']).ignore().returning('user_id')
    if (inserted.length) {
      await recordAudit(trx, { action: 'policy.acknowledged', actor: { type: 'user', id: userId }, target: { type: 'policy_version', id: policyVersionId }, ip: deps.client.ip, userAgent: deps.client.userAgent, metadata: { kind: version.kind, version: version.version } })
    }
  })
}

/**
 * What the user still has to be shown: the latest version of each kind, unless they acknowledged
 * it or it was already in effect when they signed up (signing up accepts the policies in effect;
 * a version announced but not yet in effect is still shown to someone who signed up meanwhile).
 */
export async function policyNotices(db: Knex, userId: string): Promise<Array<Record<string, any>>> {
  const latest = db('policy_versions').distinctOn('kind').orderBy([{ column: 'kind' }, { column: 'published_at', order: 'desc' }, { column: 'effective_at', order: 'desc' }]).select('*')
  const user = await db('users').where({ id: userId }).first('created_at')
  if (!user) return []
  return db
    .from(latest.as('v'))
    .where('v.effective_at', '>', user.created_at)
    .whereNotExists(db('policy_acknowledgements as a').where('a.user_id', userId).whereRaw('a.policy_version_id = v.id'))
    .orderBy('v.effective_at')
    .select('v.*')
}
