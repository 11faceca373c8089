import type { FastifyInstance } from 'fastify'
import type { Knex } from '../core/index.ts'
import { createErasureDeps, eraseDeliveredRecords } from '../connectors/index.ts'
import type { DeliveredRecord } from './caller-data.ts'
import { erasureOf, readProgress, type ErasureProgress } from './erasure-progress.ts'

/** How erasing one record in a connected system went, as the connectors answer (ids and fixed phrases only). */
export interface ConnectorErasure {
  connectorId: string
  connectorName: string | null
  kind: string | null
  /** What the record is there: contact, lead, call, task, or a webhook's notice. */
  record?: string | null
  /** The record in the target; null for a webhook's notice. */
  externalId: string | null
  outcome: 'erased' | 'not_supported' | 'failed'
  /** Why it was not erased. */
  error?: string
  /** For failures: whether trying again later may work (a rate limit, an outage). */
  retryable?: boolean
  note?: string
}

/** The connectors domain's eraseDeliveredRecords, bound to its dependencies. */
export type EraseDeliveredRecords = (input: {
  businessId: string
  requestId: string
  deliveries: Array<Pick<DeliveredRecord, 'deliveryId' | 'connectorId' | 'externalId' | 'subjectType' | 'subjectId'>>
}) => Promise<ConnectorErasure[]>

const MAX_ERROR_CHARS = 300

/** The connectors' erasure, for this worker. */
export function connectorErasure(app: FastifyInstance): EraseDeliveredRecords {
  const deps = createErasureDeps(app.db, app.config)
  return (input) => eraseDeliveredRecords(deps, input)
}

/** What is left to ask: records no connector has answered for yet, and, when `retry`, those that failed but may work now. */
function stillToErase(progress: ErasureProgress, retry: boolean): DeliveredRecord[] {
  return progress.deliveredTo.filter((record) => {
    const answer = erasureOf(progress.connectorErasure, record)
    return !answer || (retry && answer.outcome === 'failed' && answer.retryable !== false)
  })
}

/**
 * Asks the connectors to erase the delivered records kept on the request and keeps every answer
 * there. Call it outside a transaction: it waits on the network. A connector that throws counts as
 * failed for its records, so what remains to be removed is never lost.
 */
export async function eraseInConnectors(db: Knex, erase: EraseDeliveredRecords, requestId: string, businessId: string, options: { retry: boolean }): Promise<ErasureProgress> {
  const before = readProgress((await db('data_requests').where({ id: requestId }).first('counts'))?.counts ?? {})
  const todo = stillToErase(before, options.retry)
  if (!todo.length) return before
  const results = await erase({
    businessId,
    requestId,
    deliveries: todo.map(({ deliveryId, connectorId, externalId, subjectType, subjectId }) => ({ deliveryId, connectorId, externalId, subjectType, subjectId })),
  }).catch((error: unknown) => {
    const reason = `the erasure failed unexpectedly (${error instanceof Error ? error.name : 'unknown'})`
    return todo.map((r): ConnectorErasure => ({ connectorId: r.connectorId, connectorName: r.connectorName, kind: r.kind, externalId: r.externalId, outcome: 'failed', error: reason, retryable: true }))
  })
  return db.transaction(async (trx) => {
    const progress = readProgress((await trx('data_requests').where({ id: requestId }).forUpdate().first('counts'))?.counts ?? {})
    const key = (r: ConnectorErasure) => `${r.connectorId}:${r.record ?? ''}:${r.externalId ?? ''}`
    const answered = new Set(results.map(key))
    progress.connectorErasure = [
      ...progress.connectorErasure.filter((earlier) => !answered.has(key(earlier))),
      ...results.map((r) => ({ ...r, ...(r.error && { error: r.error.slice(0, MAX_ERROR_CHARS) }) })),
    ]
    await trx('data_requests').where({ id: requestId }).update({ counts: JSON.stringify(progress) })
    return progress
  })
}
