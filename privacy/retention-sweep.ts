import { DeleteObjectsCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { FastifyBaseLogger } from 'fastify'
import { recordAudit, type Knex } from '../core/index.ts'

// Calls removed per transaction: short enough that no lock is held for long.
const BATCH = 2000

export interface RetentionDeps {
  db: Knex
  /** Null when no object store is configured (then there are no recordings to delete). */
  storage: { s3: S3Client; bucket: string } | null
  log: FastifyBaseLogger
}

export interface RetentionCounts {
  calls: number
  transcriptSegments: number
  consentRecords: number
  recordings: number
  leads: number
  contacts: number
}

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
    for (let batch = await sweepBatch(deps, business.id, business.cutoff); batch; batch = await sweepBatch(deps, business.id, business.cutoff)) {
      for (const key of Object.keys(counts) as Array<keyof RetentionCounts>) counts[key] += batch[key]
    }
    if (!counts.calls) continue
    for (const key of Object.keys(counts) as Array<keyof RetentionCounts>) total[key] += counts[key]
    await recordAudit(deps.db, { action: 'retention.swept', actor: { type: 'system', id: null }, organizationId: business.organization_id, businessId: business.id, metadata: { ...counts, retentionDays: business.retention_days } })
  }
  return total
}

function emptyCounts(): RetentionCounts {
  return { calls: 0, transcriptSegments: 0, consentRecords: 0, recordings: 0, leads: 0, contacts: 0 }
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
    const ids = expired.map((row) => row.id)
    const recordings: Array<{ storage_key: string }> = await trx('recordings').whereIn('call_id', ids).select('storage_key')
    if (recordings.length) await deleteObjects(deps, recordings.map((r) => r.storage_key))
    // Each table once, by its call_id index, counting as it goes; leads take their notes and revisions along.
    const remove = (table: string) => trx(table).whereIn('call_id', ids).delete()
    const leads: Array<{ contact_id: string | null }> = await trx('leads').whereIn('call_id', ids).delete().returning('contact_id')
    const counts: RetentionCounts = {
      calls: ids.length,
      transcriptSegments: await remove('transcript_segments'),
      consentRecords: await remove('consent_records'),
      recordings: await remove('recordings'),
      leads: leads.length,
      contacts: 0,
    }
    await trx('calls').whereIn('id', ids).delete()
    const contactIds = [...new Set(leads.map((lead) => lead.contact_id).filter((id): id is string => id !== null))]
    if (contactIds.length) counts.contacts = await trx('contacts').whereIn('id', contactIds).whereNotExists(trx('leads').whereRaw('leads.contact_id = contacts.id')).delete()
    return counts
  })
}

/** Deletes the objects and checks each is gone: a recording is never left behind unaccounted for. */
async function deleteObjects(deps: RetentionDeps, keys: string[]): Promise<void> {
  if (!deps.storage) throw new Error('recordings are due for deletion but no object store is configured')
  const { s3, bucket } = deps.storage
  for (let at = 0; at < keys.length; at += 1000) {
    const chunk = keys.slice(at, at + 1000)
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }))
    if (result.Errors?.length) throw new Error(`the object store refused to delete ${result.Errors.length} recordings: ${result.Errors[0]?.Code}`)
  }
  for (const Key of keys) {
    const still = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key })).then(
      () => true,
      (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
        if (error.name === 'NotFound' || error.$metadata?.httpStatusCode === 404) return false
        throw error
      },
    )
    if (still) throw new Error(`recording ${Key} is still in the object store after its deletion`)
  }
}
