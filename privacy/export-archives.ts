import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { recordAudit, type Knex } from '../core/index.ts'
import type { DataRequestRow } from './data-requests.ts'
import { deleteObjects, type ObjectStorage } from './object-store-deletion.ts'

/** How long an export archive stays downloadable before the daily sweep deletes it. */
export const ARCHIVE_TTL_DAYS = 7
// Long enough to start the download; short enough that a link copied out of the page soon dies.
export const ARCHIVE_URL_TTL_SECONDS = 300
// Archives deleted per pass of the sweep (one DeleteObjects call).
const SWEEP_BATCH = 1000

export const archiveKey = (requestId: string) => `exports/${requestId}.json`

/** Writes a request's archive as JSON; the same key on a retry, so writing twice leaves one archive. */
export async function writeArchive(storage: ObjectStorage, requestId: string, archive: unknown): Promise<string> {
  if (!storage) throw new Error('an export is ready but no object store is configured')
  const key = archiveKey(requestId)
  await storage.s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: key, Body: JSON.stringify(archive, null, 2), ContentType: 'application/json' }))
  return key
}

/** A link that downloads a completed request's archive for five minutes; null when there is none (or it expired). */
export async function archiveDownloadUrl(storage: ObjectStorage, request: DataRequestRow, now = new Date()): Promise<string | null> {
  if (!storage || request.status !== 'completed' || !request.result_storage_key || !request.result_expires_at || request.result_expires_at <= now) return null
  // Signing is local: no request reaches the store until the link is used.
  const command = new GetObjectCommand({
    Bucket: storage.bucket,
    Key: request.result_storage_key,
    ResponseContentType: 'application/json',
    ResponseContentDisposition: `attachment; filename="data-export-${request.id}.json"`,
  })
  return getSignedUrl(storage.s3, command, { expiresIn: ARCHIVE_URL_TTL_SECONDS })
}

/**
 * Deletes the archives past their expiry from the object store (checked gone), then forgets their
 * keys; the request keeps its expiry date, so it still says when the archive went. Each deletion
 * is audited. Returns how many archives were deleted.
 */
export async function deleteExpiredArchives(deps: { db: Knex; storage: ObjectStorage }, now = new Date()): Promise<number> {
  let deleted = 0
  for (;;) {
    const expired: Array<Pick<DataRequestRow, 'id' | 'organization_id' | 'business_id' | 'result_storage_key'>> = await deps.db('data_requests')
      .whereNotNull('result_storage_key')
      .where('result_expires_at', '<=', now)
      .orderBy('result_expires_at')
      .limit(SWEEP_BATCH)
      .select('id', 'organization_id', 'business_id', 'result_storage_key')
    if (!expired.length) return deleted
    await deleteObjects(deps.storage, expired.map((row) => row.result_storage_key as string))
    await deps.db.transaction(async (trx) => {
      await trx('data_requests').whereIn('id', expired.map((row) => row.id)).update({ result_storage_key: null })
      for (const row of expired) {
        await recordAudit(trx, { action: 'data_request.archive_deleted', actor: { type: 'system', id: null }, organizationId: row.organization_id, businessId: row.business_id, target: { type: 'data_request', id: row.id } })
      }
    })
    deleted += expired.length
  }
}

/**
 * Deletes the business's export archives that quote any of `forms` (a caller's number or email):
 * an erased caller's data must not live on in an earlier export, whichever details that export was
 * asked for by. Returns how many were deleted.
 */
export async function deleteArchivesMentioning(db: Knex, storage: ObjectStorage, businessId: string, forms: string[]): Promise<number> {
  const archives: Array<{ id: string; result_storage_key: string }> = await db('data_requests')
    .where({ business_id: businessId, subject_type: 'caller', kind: 'export' })
    .whereNotNull('result_storage_key')
    .select('id', 'result_storage_key')
  if (!archives.length || !forms.length) return 0
  if (!storage) throw new Error('export archives are due for deletion but no object store is configured')
  const needles = forms.map((form) => form.toLowerCase())
  const quoting: typeof archives = []
  for (const archive of archives) {
    const text = (await readArchive(storage.s3, storage.bucket, archive.result_storage_key))?.toLowerCase()
    // One already gone (an erasure that died before forgetting its key) is forgotten now.
    if (text === undefined || needles.some((needle) => text.includes(needle))) quoting.push(archive)
  }
  await deleteObjects(storage, quoting.map((archive) => archive.result_storage_key))
  if (quoting.length) await db('data_requests').whereIn('id', quoting.map((archive) => archive.id)).update({ result_storage_key: null })
  return quoting.length
}

/** An archive's text; null when it is already gone. */
async function readArchive(s3: S3Client, bucket: string, key: string): Promise<string | null> {
  return s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then(
    (object) => (object.Body as { transformToString(): Promise<string> }).transformToString(),
    (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
      if (error.name === 'NoSuchKey' || error.$metadata?.httpStatusCode === 404) return null
      throw error
    },
  )
}
