import { DeleteObjectsCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { FastifyBaseLogger } from 'fastify'
import { recordAudit, type Knex } from '../core/index.ts'

// Calls removed per transaction: short enough that no lock is held for long.
const BATCH = 500

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
 * Live calls are never touched. It works in small batches claimed with SKIP LOCKED, so it holds
 * no lock for long, can run beside another sweep, and a sweep that dies is simply resumed by the
 * next: deleting is idempotent. Each business's counts go to the audit log.
 */
export async function sweepRetention(deps: RetentionDeps, now = new Date()): Promise<RetentionCounts> {
  const total: RetentionCounts = { calls: 0, transcriptSegments: 0, consentRecords: 0, recordings: 0, leads: 0, contacts: 0 }
  const perBusiness = new Map<string, RetentionCounts>()
  for (;;) {
    const batch = await sweepBatch(deps, now)
    if (!batch) break
    for (const [businessId, counts] of batch) {
      const sum = perBusiness.get(businessId) ?? { calls: 0, transcriptSegments: 0, consentRecords: 0, recordings: 0, leads: 0, contacts: 0 }
      for (const key of Object.keys(counts) as Array<keyof RetentionCounts>) {
        sum[key] += counts[key]
        total[key] += counts[key]
      }
      perBusiness.set(businessId, sum)
    }
  }
  for (const [businessId, counts] of perBusiness) {
    const business = await deps.db('businesses').where({ id: businessId }).first('organization_id', 'retention_days')
    await recordAudit(deps.db, { action: 'retention.swept', actor: { type: 'system', id: null }, organizationId: business?.organization_id ?? null, businessId, metadata: { ...counts, retentionDays: business?.retention_days ?? null } })
  }
  return total
}

/** One batch: null when nothing expired is left. */
async function sweepBatch(deps: RetentionDeps, now: Date): Promise<Map<string, RetentionCounts> | null> {
  return deps.db.transaction(async (trx) => {
    const { rows: expired } = await trx.raw<{ rows: Array<{ id: string; business_id: string }> }>(
      `select c.id, c.business_id from calls c join businesses b on b.id = c.business_id
       where c.ended_at is not null
         and c.started_at < ((date_trunc('day', ?::timestamptz at time zone b.time_zone) - make_interval(days => b.retention_days)) at time zone b.time_zone)
       order by c.started_at
       limit ${BATCH}
       for update of c skip locked`,
      [now],
    )
    if (!expired.length) return null
    const ids = expired.map((row) => row.id)
    const byBusiness = new Map<string, RetentionCounts>()
    const add = (businessId: string, key: keyof RetentionCounts, n: number) => {
      const counts = byBusiness.get(businessId) ?? { calls: 0, transcriptSegments: 0, consentRecords: 0, recordings: 0, leads: 0, contacts: 0 }
      counts[key] += n
      byBusiness.set(businessId, counts)
    }
    for (const row of expired) add(row.business_id, 'calls', 1)
    const tally = async (table: string, key: keyof RetentionCounts) => {
      const rows: Array<{ business_id: string; n: string }> = await trx(table).whereIn('call_id', ids).groupBy('business_id').select('business_id').count({ n: '*' })
      for (const row of rows) add(row.business_id, key, Number(row.n))
    }
    await tally('transcript_segments', 'transcriptSegments')
    await tally('consent_records', 'consentRecords')
    await tally('recordings', 'recordings')
    await tally('leads', 'leads')
    const recordings: Array<{ storage_key: string }> = await trx('recordings').whereIn('call_id', ids).select('storage_key')
    if (recordings.length) await deleteObjects(deps, recordings.map((r) => r.storage_key))
    const contactIds = (await trx('leads').whereIn('call_id', ids).whereNotNull('contact_id').distinct('contact_id')).map((row: { contact_id: string }) => row.contact_id)
    // Leads (with their notes and revisions), transcripts, consent records and recording rows go with their calls.
    await trx('calls').whereIn('id', ids).delete()
    if (contactIds.length) {
      const gone: Array<{ business_id: string }> = await trx('contacts').whereIn('id', contactIds).whereNotExists(trx('leads').whereRaw('leads.contact_id = contacts.id')).delete().returning('business_id')
      for (const row of gone) add(row.business_id, 'contacts', 1)
    }
    return byBusiness
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
