import { recordAudit, type Knex } from '../core/index.ts'
import { removeCalls } from './call-removal.ts'
import { callerCallIds, callerContactIds, callerLeadIds, deliveredRecords } from './caller-data.ts'
import { eraseInConnectors, type EraseDeliveredRecords } from './connector-erasure.ts'
import { addProgress, erasureOf } from './erasure-progress.ts'
import { redactMentions } from './mention-redaction.ts'
import { callerForms } from './caller-subject.ts'
import { deleteArchivesMentioning } from './export-archives.ts'
import type { CallerSubject, DataRequestResult, DataRequestRow } from './data-requests.ts'
import type { ObjectStorage } from './object-store-deletion.ts'

// Calls removed per transaction: short enough that no lock is held for long.
const BATCH = 500
// A call without an end this long after it started is a lost status callback, not a live call.
const LIVE_CALL_HOURS = 4

export interface CallerErasureDeps {
  db: Knex
  storage: ObjectStorage
  /** Asks the connectors to erase what was delivered to them (connectors/index.ts). */
  eraseDelivered: EraseDeliveredRecords
}

/**
 * Erases a caller from one business: their calls (with transcripts, consent records, recordings in
 * the object store, leads, notes, revisions), the calls of leads and contacts that carry their number
 * or email, those contacts, blocks of their number, deliveries of all of it with their attempts
 * (payloads and responses can quote them), and mentions of them in other records. What had been
 * delivered to connectors is kept on the request first (ids only) and the connectors are asked to
 * erase it. Works in batches; an attempt that fails is resumed by the next, and a call still in
 * progress is waited for. A connector failing for a while (rate limit, outage) is asked again with
 * the job's retries; after the last, the request completes with what remains listed for the
 * business to remove by hand.
 */
export async function eraseCaller(deps: CallerErasureDeps, request: DataRequestRow, caller: CallerSubject, lastAttempt: boolean): Promise<DataRequestResult> {
  const businessId = request.business_id as string
  // First what reached connectors, while the records it came from are still here to be looked up.
  await deps.db.transaction(async (trx) => addProgress(trx, request.id, {}, await deliveredRecords(trx, businessId, callerCallIds(trx, businessId, caller), callerLeadIds(trx, businessId, caller))))
  await eraseInConnectors(deps.db, deps.eraseDelivered, request.id, businessId, { retry: true })
  while (await deps.db.transaction((trx) => eraseBatch(trx, deps.storage, request.id, businessId, caller)));
  const live = await liveCalls(deps.db, businessId, caller)
  if (live) throw new Error(`${live} of the caller's calls are still in progress; the erasure resumes after they end`)
  await deps.db.transaction(async (trx) => {
    const business = await trx('businesses').where({ id: businessId }).first('organization_id')
    // An organization-wide block of the number holds it too; the block goes with the caller.
    const blocks = caller.phone
      ? await trx('blocked_numbers').where({ organization_id: business.organization_id, e164: caller.phone }).where((q) => q.where({ business_id: businessId }).orWhereNull('business_id')).delete()
      : 0
    const contacts = await trx('contacts').whereIn('id', callerContactIds(trx, businessId, caller)).delete()
    const mentions = await redactMentions(trx, businessId, caller)
    const archives = await deleteArchivesMentioning(trx, deps.storage, businessId, callerForms(caller))
    await addProgress(trx, request.id, { blockedNumbers: blocks, contactsMatched: contacts, mentionsRedacted: mentions, exportArchives: archives })
  })
  // Deliveries made while the batches ran were written down by them; the connectors hear of those too.
  const progress = await eraseInConnectors(deps.db, deps.eraseDelivered, request.id, businessId, { retry: false })
  const retryable = progress.connectorErasure.filter((result) => result.outcome === 'failed' && result.retryable !== false).length
  if (retryable && !lastAttempt) throw new Error(`${retryable} records could not be erased in connected systems yet; trying again`)
  const left = progress.connectorErasure.filter((result) => result.outcome !== 'erased').length + progress.deliveredTo.filter((record) => !erasureOf(progress.connectorErasure, record)).length
  const { deliveredTo, connectorErasure, ...counts } = progress
  await recordAudit(deps.db, {
    action: 'caller.erased',
    actor: { type: 'worker', id: null },
    organizationId: request.organization_id,
    businessId,
    target: { type: 'data_request', id: request.id },
    metadata: { ...counts, deliveredRecords: deliveredTo.length, connectorRecordsErased: connectorErasure.filter((result) => result.outcome === 'erased').length, leftInConnectors: left },
  })
  const business = await deps.db('businesses').where({ id: businessId }).first('name')
  return { counts: { ...progress }, notice: { kind: 'caller_erased', businessName: business?.name ?? 'your business', leftInConnectors: left } }
}

/** One batch of the caller's calls and everything about them, in one transaction; false when none is left. */
async function eraseBatch(trx: Knex.Transaction, storage: ObjectStorage, requestId: string, businessId: string, caller: CallerSubject): Promise<boolean> {
  const calls: Array<{ id: string }> = await trx('calls')
    .whereIn('id', callerCallIds(trx, businessId, caller))
    .where((q) => q.whereNotNull('ended_at').orWhere('started_at', '<', trx.raw(`now() - interval '${LIVE_CALL_HOURS} hours'`)))
    .orderBy('id')
    .limit(BATCH)
    .forUpdate()
    .select('id')
  if (!calls.length) return false
  const callIds = calls.map((call) => call.id)
  const leadIds = trx('leads').whereIn('call_id', callIds).select('id')
  // What reached connectors is written down before its deliveries go: it is all the business will have to go on.
  const delivered = await deliveredRecords(trx, businessId, callIds, leadIds)
  const deliveries = trx('deliveries')
    .where({ business_id: businessId })
    .where((q) => q.where('subject_type', 'call').whereIn('subject_id', callIds).orWhere((l) => l.where('subject_type', 'lead').whereIn('subject_id', leadIds)))
    .select('id')
  const attempts = await trx('delivery_attempts').whereIn('delivery_id', deliveries.clone()).delete()
  const deleted = await trx('deliveries').whereIn('id', deliveries).delete()
  const removed = await removeCalls(trx, storage, callIds)
  await addProgress(trx, requestId, { ...removed, deliveries: deleted, deliveryAttempts: attempts }, delivered)
  return true
}

/** The caller's calls still going (those the batches leave for later). */
async function liveCalls(db: Knex, businessId: string, caller: CallerSubject): Promise<number> {
  const row = await db('calls').whereIn('id', callerCallIds(db, businessId, caller)).count('* as n').first()
  return Number(row?.n ?? 0)
}
