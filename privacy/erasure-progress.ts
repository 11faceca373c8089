import type { Knex } from '../core/index.ts'
import { emptyCounts, type RemovalCounts } from './call-removal.ts'
import type { DeliveredRecord } from './caller-data.ts'
import type { ConnectorErasure } from './connector-erasure.ts'

/** What an erasure has done so far, kept on the request between attempts: counts and ids only. */
export interface ErasureProgress extends RemovalCounts {
  contactsMatched: number
  blockedNumbers: number
  deliveries: number
  deliveryAttempts: number
  mentionsRedacted: number
  exportArchives: number
  deliveredTo: DeliveredRecord[]
  connectorErasure: ConnectorErasure[]
}

/** Adds counts, and delivered records not yet kept, to the request's progress, in the transaction that did the work. */
export async function addProgress(trx: Knex.Transaction, requestId: string, added: Partial<Record<keyof ErasureProgress, number>>, delivered: DeliveredRecord[] = []): Promise<void> {
  const row = await trx('data_requests').where({ id: requestId }).forUpdate().first('counts')
  const progress = readProgress(row?.counts ?? {})
  for (const [key, value] of Object.entries(added)) (progress as unknown as Record<string, number>)[key] = ((progress as unknown as Record<string, number>)[key] ?? 0) + (value ?? 0)
  const known = new Set(progress.deliveredTo.map((record) => record.deliveryId))
  progress.deliveredTo.push(...delivered.filter((record) => !known.has(record.deliveryId)))
  await trx('data_requests').where({ id: requestId }).update({ counts: JSON.stringify(progress) })
}

/** The progress kept on a request, with zeros for what has not happened yet. */
export function readProgress(counts: Record<string, unknown>): ErasureProgress {
  const number = (key: string) => (typeof counts[key] === 'number' ? (counts[key] as number) : 0)
  return {
    ...(Object.fromEntries(Object.keys(emptyCounts()).map((key) => [key, number(key)])) as unknown as RemovalCounts),
    contactsMatched: number('contactsMatched'),
    blockedNumbers: number('blockedNumbers'),
    deliveries: number('deliveries'),
    deliveryAttempts: number('deliveryAttempts'),
    mentionsRedacted: number('mentionsRedacted'),
    exportArchives: number('exportArchives'),
    deliveredTo: Array.isArray(counts.deliveredTo) ? (counts.deliveredTo as DeliveredRecord[]) : [],
    connectorErasure: Array.isArray(counts.connectorErasure) ? (counts.connectorErasure as ConnectorErasure[]) : [],
  }
}

/** The connector's answer about a delivered record, if it gave one (a webhook answers once for all it received). */
export function erasureOf(results: ConnectorErasure[], record: Pick<DeliveredRecord, 'connectorId' | 'externalId'>): ConnectorErasure | null {
  const forConnector = results.filter((result) => result.connectorId === record.connectorId)
  return forConnector.find((result) => result.externalId === record.externalId) ?? (record.externalId === null ? forConnector[0] : undefined) ?? null
}

/** How erasing a delivered record in its connector went, as far as is known. */
export function outcomeOf(results: ConnectorErasure[], record: Pick<DeliveredRecord, 'connectorId' | 'externalId'>): ConnectorErasure['outcome'] | 'pending' {
  return erasureOf(results, record)?.outcome ?? 'pending'
}
