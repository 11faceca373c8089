import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { recordDeliveries, settleReservation, type JobQueue } from '../core/index.ts'

const FINAL_STATUSES: Record<string, string> = { completed: 'completed', busy: 'busy', failed: 'failed', 'no-answer': 'no_answer', canceled: 'canceled' }
const LIVE_STATUSES: Record<string, string> = { queued: 'ringing', initiated: 'ringing', ringing: 'ringing', 'in-progress': 'in_progress' }

/** The call a status callback or end report finalized: the api publishes call.completed for it once committed. */
export interface FinalizedCall {
  callId: string
  businessId: string
  /** The final status (completed, busy, no_answer, ...; refused stays refused): a metrics label. */
  status: string
}

export type StatusOutcome = { kind: 'applied' | 'ignored' | 'unknown_call' } | ({ kind: 'finalized' } & FinalizedCall)

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
    if (!call) return { kind: 'unknown_call' }
    if (call.ended_at) return { kind: 'ignored' }
    const final = FINAL_STATUSES[update.status]
    if (!final) {
      const live = LIVE_STATUSES[update.status]
      if (!live || call.status === 'refused' || (update.sequenceNumber !== null && call.last_status_sequence !== null && update.sequenceNumber <= call.last_status_sequence)) return { kind: 'ignored' }
      await trx('calls').where({ id: call.id }).update({ status: live, last_status_sequence: update.sequenceNumber ?? call.last_status_sequence })
      return { kind: 'applied' }
    }
    await finalizeCall(trx, jobs, call, final, update.durationSeconds ?? 0, update.sequenceNumber)
    return { kind: 'finalized', callId: call.id, businessId: call.business_id, status: call.status === 'refused' ? 'refused' : final }
  })
}

/**
 * Ends a call once, in the caller's transaction: the minutes used are settled and the rest
 * released, (unless the call was refused) its lead extraction is enqueued, and call.completed is
 * queued for the business's connectors, so none of it is lost if this process dies right after.
 * A browser test call is settled the same way but makes no lead and reaches no connector.
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
  // An owner's test call is theirs to review, not a caller: no lead, nothing sent to their CRM.
  if (call.direction === 'test') return
  if (call.status !== 'refused') await jobs.enqueue('lead-extract', { callId: call.id }, { trx, singletonKey: call.id })
  await recordDeliveries(trx, { type: 'call.completed', businessId: call.business_id, callId: call.id })
}

/**
 * A browser test call has no Twilio status callback: the worker reports its end, and it is settled
 * the same way. Null when there is no such test call or it had already ended.
 */
export async function finalizeTestCall(db: Knex, jobs: JobQueue, callId: string, durationSeconds: number): Promise<FinalizedCall | null> {
  return db.transaction(async (trx) => {
    const call = await trx('calls').where({ id: callId, direction: 'test' }).forUpdate().first()
    if (!call || call.ended_at) return null
    await finalizeCall(trx, jobs, call, 'completed', durationSeconds)
    return { callId: call.id, businessId: call.business_id, status: 'completed' }
  })
}

/**
 * Tells live listeners (GraphQL's callChanged) that a call ended, once its transaction has
 * committed. Best effort: connectors get the same event durably through the outbox, so a failed
 * publication is logged and the webhook still succeeds (a retry would find the call final).
 */
export async function publishCallCompleted(app: FastifyInstance, call: FinalizedCall): Promise<void> {
  app.metrics.call('completed', call.status)
  try {
    await app.events.publish({ type: 'call.completed', businessId: call.businessId, callId: call.callId })
  } catch (error) {
    app.log.warn({ err: error, callId: call.callId }, 'call.completed was not published')
  }
}
