import type { FastifyBaseLogger } from 'fastify'
import { recordAudit, type Knex } from '../core/index.ts'
import { addCounts, emptyCounts, removeCalls, type RemovalCounts } from './call-removal.ts'
import type { ObjectStorage } from './object-store-deletion.ts'

// Calls removed per transaction: short enough that no lock is held for long.
const BATCH = 2000

export interface RetentionDeps {
  db: Knex
  /** Null when no object store is configured (then there are no recordings to delete). */
  storage: ObjectStorage
  log: FastifyBaseLogger
}

export type RetentionCounts = RemovalCounts

/**
 * Removes what each business's retention setting no longer allows: calls that started before the
 * start of the business's local day `retention_days` ago, with their transcripts, consent records,
 * recordings (the S3 objects first, checked gone) and leads, and contacts no lead is left for.
 * Live calls are never touched. It goes business by business, in small batches claimed with SKIP
 * LOCKED (an index range scan each), so it holds no lock for long, can run beside another sweep,
 * and a sweep that dies is simply resumed by the next: deleting is idempotent. Each business's
 * counts go to the audit log.
 */
export async function sweepRetention(deps: RetentionDeps, now = new Date()): Promise<RetentionCounts> {
  const total = emptyCounts()
  // Each business's cut-off, computed by PostgreSQL in the business's own time zone.
  const { rows: businesses } = await deps.db.raw<{ rows: Array<{ id: string; organization_id: string; retention_days: number; cutoff: Date }> }>(
    `select id, organization_id, retention_days,
            (date_trunc('day', ?::timestamptz at time zone time_zone) - make_interval(days => retention_days)) at time zone time_zone as cutoff
     from businesses`,
    [now],
  )
  for (const business of businesses) {
    const counts = emptyCounts()
    for (let batch = await sweepBatch(deps, business.id, business.cutoff); batch; batch = await sweepBatch(deps, business.id, business.cutoff)) addCounts(counts, batch)
    if (!counts.calls) continue
    addCounts(total, counts)
    await recordAudit(deps.db, { action: 'retention.swept', actor: { type: 'system', id: null }, organizationId: business.organization_id, businessId: business.id, metadata: { ...counts, retentionDays: business.retention_days } })
  }
  return total
}

/** One batch of one business's expired calls (an index range scan), removed in one short transaction; null when none is left. */
async function sweepBatch(deps: RetentionDeps, businessId: string, cutoff: Date): Promise<RetentionCounts | null> {
  return deps.db.transaction(async (trx) => {
    const expired: Array<{ id: string }> = await trx('calls')
      .where({ business_id: businessId })
      .where('started_at', '<', cutoff)
      .whereNotNull('ended_at')
      .orderBy('started_at')
      .limit(BATCH)
      .forUpdate()
      .skipLocked()
      .select('id')
    if (!expired.length) return null
    return removeCalls(trx, deps.storage, expired.map((row) => row.id))
  })
}
