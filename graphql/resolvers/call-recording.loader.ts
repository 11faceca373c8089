import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { MercuriusContext } from 'mercurius'

type Query = { obj: Record<string, any> }
type Row = Record<string, any>

/** Where the media worker stores recordings; null when no object store is configured. */
export interface RecordingStore {
  s3: S3Client
  bucket: string
}

// Long enough to start playing and seek; short enough that a link copied out of the page soon dies.
export const RECORDING_URL_TTL_SECONDS = 300

/**
 * The recordings that may be played, by call id: finished, and with the caller's consent given and
 * not withdrawn. A withdrawal takes effect at once, before the retention job deletes the file.
 */
async function playableRecordings(queries: Query[], ctx: MercuriusContext): Promise<Map<string, Row>> {
  const ids = [...new Set(queries.map((q) => q.obj.id as string))]
  if (ids.length === 0) return new Map()
  const rows: Row[] = await ctx
    .db('recordings as r')
    .join('consent_records as c', (on) => on.on('c.call_id', 'r.call_id').andOn('c.business_id', 'r.business_id'))
    .whereIn('r.call_id', ids)
    .where({ 'r.status': 'complete', 'c.decision': 'given' })
    .whereNull('c.withdrawn_at')
    .select('r.call_id', 'r.business_id', 'r.storage_key')
  return new Map(rows.map((row) => [row.call_id as string, row]))
}

/** Call.hasRecording and Call.recordingUrl, one query for a whole page of calls. */
export function recordingLoaders(store: RecordingStore | null) {
  return {
    async hasRecording(queries: Query[], ctx: MercuriusContext): Promise<boolean[]> {
      const access = await ctx.access()
      const playable = await playableRecordings(queries, ctx)
      return Promise.all(queries.map(async (q) => playable.has(q.obj.id) && ((await access.businessScope(q.obj.business_id))?.permissions.has('calls:read') ?? false)))
    },
    async recordingUrl(queries: Query[], ctx: MercuriusContext): Promise<Array<string | null>> {
      if (!store) return queries.map(() => null)
      const access = await ctx.access()
      const playable = await playableRecordings(queries, ctx)
      return Promise.all(
        queries.map(async (q) => {
          const recording = playable.get(q.obj.id)
          if (!recording || !(await access.businessScope(recording.business_id))?.permissions.has('recordings:read')) return null
          // Signing is local: no request reaches the store until the link is used.
          const command = new GetObjectCommand({ Bucket: store.bucket, Key: recording.storage_key, ResponseContentType: 'audio/wav' })
          return getSignedUrl(store.s3, command, { expiresIn: RECORDING_URL_TTL_SECONDS })
        }),
      )
    },
  }
}
