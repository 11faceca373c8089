import type { JobQueue, Knex } from '../core/index.ts'

// Fallback leads older than this keep their values: by then a person has usually dealt with them.
const REEXTRACT_WINDOW_DAYS = 14
const BATCH = 500

/**
 * Gives leads made by the fallback extractor another go at the model: when the model was not
 * configured, was down or answered badly. Refusals stay as they are. Returns how many were queued.
 */
export async function reextractFallbackLeads(db: Knex, jobs: JobQueue): Promise<number> {
  const rows: Array<{ call_id: string }> = await db('leads')
    .where({ extraction_method: 'fallback' })
    .whereIn('fallback_reason', ['not_configured', 'unavailable', 'invalid_output'])
    .where('created_at', '>', db.raw(`now() - interval '${REEXTRACT_WINDOW_DAYS} days'`))
    .orderBy('created_at', 'desc')
    .limit(BATCH)
    .select('call_id')
  // The queue's policy keeps one waiting job per call, so a sweep never piles up duplicates.
  for (const row of rows) await jobs.enqueue('lead-extract', { callId: row.call_id }, { singletonKey: row.call_id })
  return rows.length
}
