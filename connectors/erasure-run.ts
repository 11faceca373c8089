import { ConnectorError, type ErasedRecord, type RecordErasure } from './connector.ts'

/** `items` in slices of at most `size`, for APIs that take a bounded list of ids per request. */
export function inChunks<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

/**
 * Removes records one at a time and keeps an answer for each. A failure of one record (the target
 * refuses that deletion) leaves the others to try; a failure of the connection (rate limit, outage,
 * refused credentials) is given to every record still to do without trying them, since they would
 * fail the same way and the whole erasure is tried again later.
 */
export class ErasureRun {
  readonly results: RecordErasure[] = []
  #halted: ConnectorError | null = null

  /** `remove` deletes one record and may return a note; a record already gone is not a failure. */
  async each(record: ErasedRecord, ids: readonly string[], remove: (id: string) => Promise<string | undefined>): Promise<void> {
    for (const externalId of ids) {
      if (this.#halted) {
        this.results.push({ record, externalId, error: this.#halted })
        continue
      }
      try {
        const note = await remove(externalId)
        this.results.push({ record, externalId, error: null, ...(note ? { note } : {}) })
      } catch (error) {
        if (!(error instanceof ConnectorError)) throw error
        this.results.push({ record, externalId, error })
        if (error.retryable || error.code === 'auth_expired') this.#halted = error
      }
    }
  }
}
