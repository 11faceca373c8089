import type { Knex } from 'knex'
import { recordDeliveries, settleReservation, type JobQueue } from '../core/index.ts'

const FINAL_STATUSES: Record<string, string> = { completed: 'completed', busy: 'busy', failed: 'failed', 'no-answer': 'no_answer', canceled: 'canceled' }
const LIVE_STATUSES: Record<string, string> = { queued: 'ringing', initiated: 'ringing', ringing: 'ringing', 'in-progress': 'in_progress' }

export type StatusOutcome = 'applied' | 'finalized' | 'ignored' | 'unknown_call'

/**
 * Applies a Twilio status callback. Callbacks repeat and arrive out of order: a live status older
 * than the last one applied (by SequenceNumber) is ignored, and once a call is final nothing
 * changes it again. Finalizing settles the minutes in the same transaction: the reservation is
 * released and the minutes used are debited.
 *
 * Rounding: a call is billed ceil(CallDuration / 60) minutes, as Twilio bills telephony, and never
 * more than it reserved (the media worker ends a call before its reservation runs out).
 */
export async function applyCallStatus(db: Knex, jobs: JobQueue, update: { callSid: string; status: string; durationSeconds: number | null; sequenceNumber: number | null }): Promise<StatusOutcome> {
  return db.transaction(async (trx) => {
    const call = await trx('calls').where({ twilio_call_sid: update.callSid }).forUpdate().first()
    if (!call) return 'unknown_call'
    if (call.ended_at) return 'ignored'
    const final = FINAL_STATUSES[update.status]
    if (!final) {
      const live = LIVE_STATUSES[update.status]
      if (!live || call.status === 'refused' || (update.sequenceNumber !== null && call.last_status_sequence !== null && update.sequenceNumber <= call.last_status_sequence)) return 'ignored'
      await trx('calls').where({ id: call.id }).update({ status: live, last_status_sequence: update.sequenceNumber ?? call.last_status_sequence })
      return 'applied'
    }
    await finalizeCall(trx, jobs, call, final, update.durationSeconds ?? 0, update.sequenceNumber)
    return 'finalized'
  })
}

/**
 * Ends a call once, in the caller's transaction: the minutes used are settled and the rest
 * released, (unless the call was refused) its lead extraction is enqueued, and call.completed is
 * queued for the business's connectors, so none of it is lost if this process dies right after.
 */
export async function finalizeCall(trx: Knex.Transaction, jobs: JobQueue, call: Record<string, any>, status: string, durationSeconds: number, sequenceNumber: number | null = null): Promise<void> {
  const duration = Math.max(0, Math.round(durationSeconds))
  let billed = 0
  if (call.reserved_minutes > 0) {
    // Settle against the account the minutes were reserved from, whatever pays for the business now.
    const reservation = await trx('minute_ledger').where({ call_id: call.id, kind: 'reservation' }).first('billing_account_id')
    if (reservation) billed = await settleReservation(trx, { billingAccountId: reservation.billing_account_id, callId: call.id, businessId: call.business_id, usedMinutes: Math.ceil(duration / 60) })
  }
  await trx('calls')
    .where({ id: call.id })
    .update({
      // A refused call keeps its status and reason; Twilio still reports it as completed.
      status: call.status === 'refused' ? 'refused' : status,
      ended_at: trx.raw('greatest(started_at, now())'),
      duration_seconds: duration,
      billed_minutes: billed,
      last_status_sequence: sequenceNumber ?? call.last_status_sequence,
    })
  if (call.status !== 'refused') await jobs.enqueue('lead-extract', { callId: call.id }, { trx, singletonKey: call.id })
  await recordDeliveries(trx, { type: 'call.completed', businessId: call.business_id, callId: call.id })
}

/** A browser test call has no Twilio status callback: the worker reports its end, and it is settled the same way. */
export async function finalizeTestCall(db: Knex, jobs: JobQueue, callId: string, durationSeconds: number): Promise<boolean> {
  return db.transaction(async (trx) => {
    const call = await trx('calls').where({ id: callId, direction: 'test' }).forUpdate().first()
    if (!call || call.ended_at) return false
    await finalizeCall(trx, jobs, call, 'completed', durationSeconds)
    return true
  })
}
