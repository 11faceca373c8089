import type { Knex } from 'knex'
import { billingAccountFor, reserveMinutes } from '../core/index.ts'
import { isOpen, type WorkingHours } from './working-hours.ts'

export type RefusalReason = 'organization_inactive' | 'subscription_invalid' | 'no_minutes' | 'blocked'

export interface InboundCall {
  callSid: string
  from: string
  to: string
}

/** The agent settings the call flow reads while the caller is on the line. */
export interface CallAgent {
  language: string
  disclosure: string
  consentPrompt: string
  recordingEnabled: boolean
  forwardingNumber: string | null
  staffFirstSeconds: number | null
}

/** What to do with an inbound call. Every decision but `unknown_number` has a call record. */
export type GateDecision =
  | { kind: 'unknown_number' }
  | { kind: 'refused'; callId: string; reason: RefusalReason; language: string }
  | { kind: 'forward'; callId: string; agent: CallAgent; forwardingNumber: string }
  | { kind: 'take_message'; callId: string; agent: CallAgent; businessName: string }
  | { kind: 'answer'; callId: string; businessId: string; agent: CallAgent; reservedMinutes: number }

const ACTIVE_SUBSCRIPTIONS = new Set(['active', 'trialing'])

/** A subscription that may take calls: paid or trialing, the free plan, or a failed payment still in its grace period. */
function subscriptionValid(account: { plan: string; subscription_status: string; grace_until: Date | null }, now: Date): boolean {
  if (ACTIVE_SUBSCRIPTIONS.has(account.subscription_status)) return true
  if (account.plan === 'free' && account.subscription_status === 'none') return true
  return account.subscription_status === 'past_due' && account.grace_until !== null && account.grace_until > now
}

function agentOf(config: Record<string, any> | undefined): CallAgent {
  return {
    language: config?.language ?? 'en-US',
    disclosure: config?.disclosure_text ?? 'You are speaking with an AI assistant.',
    consentPrompt: config?.consent_prompt ?? 'May we record this call? Say yes or press 1, or say no or press 2.',
    recordingEnabled: config?.recording_enabled ?? false,
    forwardingNumber: config?.forwarding_number ?? null,
    staffFirstSeconds: config?.staff_first_seconds ?? null,
  }
}

/**
 * Decides, in one transaction, whether and how Answerline answers a call: the dialled number's
 * business, the caller's number against the blocklists, the organization and its subscription,
 * working hours, and minutes. Minutes are reserved under a lock on the billing account, so
 * concurrent calls cannot spend the same minutes. A refused call is recorded with its reason.
 * Twilio retries a webhook that timed out: a CallSid seen before gets the decision it got then.
 */
export async function gateInboundCall(db: Knex, settings: { reservationMinutes: number }, call: InboundCall, now = new Date()): Promise<GateDecision> {
  return db.transaction(async (trx) => {
    const target = await trx('phone_numbers as p')
      .join('businesses as b', 'b.id', 'p.business_id')
      .join('organizations as o', 'o.id', 'b.organization_id')
      .where({ 'p.e164': call.to, 'p.status': 'active' })
      .first('p.id as phone_number_id', 'b.id as business_id', 'b.name', 'b.status as business_status', 'b.time_zone', 'b.organization_id', 'o.status as organization_status')
    if (!target) return { kind: 'unknown_number' as const }
    const config = await trx('agent_configs').where({ business_id: target.business_id }).orderBy('version', 'desc').first()
    const agent = agentOf(config)

    const existing = await trx('calls').where({ twilio_call_sid: call.callSid }).first()
    if (existing) return replayDecision(existing, agent, target.name)

    const record = (fields: Record<string, unknown>) =>
      trx('calls')
        .insert({
          business_id: target.business_id,
          phone_number_id: target.phone_number_id,
          agent_config_id: config?.id ?? null,
          twilio_call_sid: call.callSid,
          direction: 'inbound',
          from_number: call.from,
          to_number: call.to,
          started_at: now,
          ...fields,
        })
        .returning('id')
        .then(([row]) => row.id as string)
    const refuse = async (reason: RefusalReason) => ({ kind: 'refused' as const, reason, language: agent.language, callId: await record({ status: 'refused', refusal_reason: reason }) })

    const blocked = await trx('blocked_numbers')
      .where({ organization_id: target.organization_id, e164: call.from })
      .where((q) => q.whereNull('business_id').orWhere({ business_id: target.business_id }))
      .first('id')
    if (blocked) return refuse('blocked')
    if (target.organization_status !== 'active' || target.business_status !== 'active' || !config) return refuse('organization_inactive')
    const account = await billingAccountFor(trx, { id: target.business_id, organizationId: target.organization_id })
    if (!account || !subscriptionValid(account, now)) return refuse('subscription_invalid')

    if (!isOpen(config.working_hours as WorkingHours, target.time_zone, now)) {
      if (config.after_hours_behavior === 'forward' && agent.forwardingNumber) {
        return { kind: 'forward' as const, agent, forwardingNumber: agent.forwardingNumber, callId: await record({ status: 'in_progress', escalated: true, outcome: 'forwarded_after_hours' }) }
      }
      if (config.after_hours_behavior === 'take_message') {
        return { kind: 'take_message' as const, agent, businessName: target.name, callId: await record({ status: 'in_progress', outcome: 'message_after_hours' }) }
      }
    }

    const callId = await record({ status: 'in_progress' })
    const reservedMinutes = await reserveMinutes(trx, { billingAccountId: account.id, callId, businessId: target.business_id, wanted: settings.reservationMinutes, minimum: 1 })
    if (reservedMinutes === 0) {
      if (config.out_of_minutes_behavior === 'forward' && agent.forwardingNumber) {
        await trx('calls').where({ id: callId }).update({ escalated: true, outcome: 'forwarded_no_minutes' })
        return { kind: 'forward' as const, callId, agent, forwardingNumber: agent.forwardingNumber }
      }
      if (config.out_of_minutes_behavior === 'take_message') {
        await trx('calls').where({ id: callId }).update({ outcome: 'message_no_minutes' })
        return { kind: 'take_message' as const, callId, agent, businessName: target.name }
      }
      await trx('calls').where({ id: callId }).update({ status: 'refused', refusal_reason: 'no_minutes' })
      return { kind: 'refused' as const, callId, reason: 'no_minutes' as const, language: agent.language }
    }
    await trx('calls').where({ id: callId }).update({ reserved_minutes: reservedMinutes })
    if (agent.recordingEnabled) {
      await trx('consent_records').insert({ call_id: callId, business_id: target.business_id, language: agent.language, prompt_text: agent.consentPrompt })
    }
    return { kind: 'answer' as const, callId, businessId: target.business_id, agent, reservedMinutes }
  })
}

function replayDecision(call: Record<string, any>, agent: CallAgent, businessName: string): GateDecision {
  if (call.status === 'refused') return { kind: 'refused', callId: call.id, reason: call.refusal_reason, language: agent.language }
  if (String(call.outcome ?? '').startsWith('forwarded') && agent.forwardingNumber) return { kind: 'forward', callId: call.id, agent, forwardingNumber: agent.forwardingNumber }
  if (String(call.outcome ?? '').startsWith('message')) return { kind: 'take_message', callId: call.id, agent, businessName }
  return { kind: 'answer', callId: call.id, businessId: call.business_id, agent, reservedMinutes: call.reserved_minutes }
}
