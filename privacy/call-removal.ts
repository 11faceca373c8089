import type { Knex } from '../core/index.ts'
import { deleteObjects, type ObjectStorage } from './object-store-deletion.ts'

export interface RemovalCounts {
  calls: number
  transcriptSegments: number
  consentRecords: number
  recordings: number
  leads: number
  contacts: number
}

export function emptyCounts(): RemovalCounts {
  return { calls: 0, transcriptSegments: 0, consentRecords: 0, recordings: 0, leads: 0, contacts: 0 }
}

export function addCounts(into: RemovalCounts, more: RemovalCounts): RemovalCounts {
  for (const key of Object.keys(into) as Array<keyof RemovalCounts>) into[key] += more[key]
  return into
}

/**
 * Removes the calls with everything about them: the recordings' S3 objects first (checked gone, so
 * a failure leaves the rows for the next try), then transcripts, consent records, recordings, leads
 * (with their notes and revisions), the calls, and the contacts no lead is left for. Run inside the
 * transaction that locked the calls; every table is touched once, by its call_id index.
 */
export async function removeCalls(trx: Knex.Transaction, storage: ObjectStorage, ids: string[]): Promise<RemovalCounts> {
  if (!ids.length) return emptyCounts()
  // Pages this transaction dirties are handed to the disk as it goes, not left for the kernel to
  // write back in one burst every 30 seconds: that burst made live calls' commits wait 100-200 ms.
  await trx.raw("set local backend_flush_after = '256kB'")
  const recordings: Array<{ storage_key: string }> = await trx('recordings').whereIn('call_id', ids).select('storage_key')
  await deleteObjects(storage, recordings.map((r) => r.storage_key))
  const remove = (table: string) => trx(table).whereIn('call_id', ids).delete()
  const leads: Array<{ contact_id: string | null }> = await trx('leads').whereIn('call_id', ids).delete().returning('contact_id')
  const counts: RemovalCounts = {
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
}
