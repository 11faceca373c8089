import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { planIncludes, PLANS, queryPrepared, type AppMetrics, type PlanKey } from '../core/index.ts'
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

/**
 * What to do with an inbound call. Every decision but `unknown_number` has a call record;
 * `replayed` marks the decision given again to a CallSid seen before (Twilio retried the webhook).
 */
export type GateDecision = (
  | { kind: 'unknown_number' }
  | { kind: 'refused'; callId: string; reason: RefusalReason; language: string; outOfMinutes?: string }
  | { kind: 'forward'; callId: string; agent: CallAgent; forwardingNumber: string; outOfMinutes?: string }
  | { kind: 'take_message'; callId: string; agent: CallAgent; businessName: string; outOfMinutes?: string }
  | { kind: 'answer'; callId: string; businessId: string; agent: CallAgent; reservedMinutes: number; lowBalance: boolean }
) & { replayed?: true }

/** Counts an inbound call's decision once: started (answered, forwarded, message) or refused with its reason. */
export function observeGateDecision(metrics: AppMetrics, decision: GateDecision): void {
  if (decision.replayed) return
  if (decision.kind === 'unknown_number') metrics.call('refused', 'unknown_number')
  else if (decision.kind === 'refused') metrics.call('refused', decision.reason)
  else metrics.call('started', decision.kind)
}

// Owners are warned when a fifth of the period's minutes is left, and at ten minutes at the latest.
const LOW_BALANCE_SHARE = 0.2
const LOW_BALANCE_FLOOR = 10
const ACTIVE_SUBSCRIPTIONS = new Set(['active', 'trialing'])
const UNIQUE_VIOLATION = '23505'

/** A subscription that may take calls: paid or trialing, the free plan, or a failed payment still in its grace period. */
function subscriptionValid(account: { plan: string; subscription_status: string; grace_until: Date | null }, now: Date): boolean {
  if (ACTIVE_SUBSCRIPTIONS.has(account.subscription_status)) return true
  if (account.plan === 'free' && account.subscription_status === 'none') return true
  return account.subscription_status === 'past_due' && account.grace_until !== null && account.grace_until > now
}

function agentOf(row: Record<string, any>): CallAgent {
  return {
    language: row.language ?? 'en-US',
    disclosure: row.disclosure_text ?? 'You are speaking with an AI assistant.',
    consentPrompt: row.consent_prompt ?? 'May we record this call? Say yes or press 1, or say no or press 2.',
    // A plan without recording (after a downgrade, say) records nothing, whatever the agent says.
    recordingEnabled: (row.recording_enabled ?? false) && planIncludes(row.plan, 'recording'),
    forwardingNumber: row.forwarding_number ?? null,
    staffFirstSeconds: row.staff_first_seconds ?? null,
  }
}

/**
 * Everything the decision needs, in one round trip: the dialled number's business and
 * organization, its latest agent, the account that pays, whether the caller is blocked, and
 * whether Twilio already told us about this call (it retries webhooks that time out).
 */
function readCallContext(db: Knex, call: InboundCall) {
  return queryPrepared(
    db,
    'voice.read_call_context',
    `select p.id as phone_number_id, b.id as business_id, b.name, b.status as business_status, b.time_zone, b.organization_id,
            o.status as organization_status, a.id as agent_config_id, a.language, a.disclosure_text, a.consent_prompt,
            a.recording_enabled, a.forwarding_number, a.staff_first_seconds, a.working_hours, a.after_hours_behavior,
            a.out_of_minutes_behavior, acct.id as billing_account_id, acct.plan, acct.subscription_status, acct.grace_until,
            exists (select 1 from blocked_numbers n where n.organization_id = b.organization_id and n.e164 = $1
                    and (n.business_id is null or n.business_id = b.id)) as blocked,
            existing.id as existing_call_id, existing.status as existing_status, existing.refusal_reason as existing_reason,
            existing.outcome as existing_outcome, existing.reserved_minutes as existing_reserved
     from phone_numbers p
     join businesses b on b.id = p.business_id
     join organizations o on o.id = b.organization_id
     left join lateral (select * from agent_configs where business_id = b.id order by version desc limit 1) a on true
     left join lateral (select id, plan, subscription_status, grace_until from billing_accounts
                        where closed_at is null and (business_id = b.id or (organization_id = b.organization_id and business_id is null))
                        order by business_id is null limit 1) acct on true
     left join calls existing on existing.twilio_call_sid = $2
     where p.e164 = $3 and p.status = 'active'`,
    [call.from, call.callSid, call.to],
  )
}

/**
 * Decides whether and how Answerline answers a call: the caller against the blocklists, the
 * organization and its subscription, working hours in the business's time zone, and minutes.
 * Minutes are reserved under a lock on the billing account, in the same transaction that records
 * the call, so concurrent calls cannot spend the same minutes. A refused call is recorded with its
 * reason. A CallSid seen before gets the decision it got then.
 */
export async function gateInboundCall(db: Knex, settings: { reservationMinutes: number }, call: InboundCall, now = new Date()): Promise<GateDecision> {
  const [ctx] = await readCallContext(db, call)
  if (!ctx) return { kind: 'unknown_number' }
  const agent = agentOf(ctx)
  if (ctx.existing_call_id) return replayDecision(ctx, agent)

  const callRow = (fields: Record<string, unknown>) => ({
    business_id: ctx.business_id,
    phone_number_id: ctx.phone_number_id,
    agent_config_id: ctx.agent_config_id,
    twilio_call_sid: call.callSid,
    direction: 'inbound',
    from_number: call.from,
    to_number: call.to,
    started_at: now,
    ...fields,
  })
  const record = async (fields: Record<string, unknown>): Promise<string> => {
    const [row] = await db('calls').insert(callRow(fields)).returning('id')
    return row.id
  }
  const refuse = async (reason: RefusalReason): Promise<GateDecision> => ({ kind: 'refused', reason, language: agent.language, callId: await record({ status: 'refused', refusal_reason: reason }) })

  try {
    if (ctx.blocked) return await refuse('blocked')
    if (ctx.organization_status !== 'active' || ctx.business_status !== 'active' || !ctx.agent_config_id) return await refuse('organization_inactive')
    if (!ctx.billing_account_id || !subscriptionValid(ctx as never, now)) return await refuse('subscription_invalid')
    if (!isOpen((ctx.working_hours ?? {}) as WorkingHours, ctx.time_zone, now)) {
      if (ctx.after_hours_behavior === 'forward' && agent.forwardingNumber) {
        return { kind: 'forward', agent, forwardingNumber: agent.forwardingNumber, callId: await record({ status: 'in_progress', escalated: true, outcome: 'forwarded_after_hours' }) }
      }
      if (ctx.after_hours_behavior === 'take_message') {
        return { kind: 'take_message', agent, businessName: ctx.name, callId: await record({ status: 'in_progress', outcome: 'message_after_hours' }) }
      }
    }
    return await answerWithMinutes(db, settings, ctx, agent, call, now)
  } catch (error) {
    // Twilio sent the same call twice at once and the other request recorded it first.
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return gateInboundCall(db, settings, call, now)
    throw error
  }
}

/**
 * Reserves minutes and records the call (with its pending consent record) in one statement, so
 * the common path costs one round trip and one commit. The reservation itself is
 * answerline_reserve_minutes, the database's single rule for it.
 */
async function answerWithMinutes(
  db: Knex,
  settings: { reservationMinutes: number },
  ctx: Record<string, any>,
  agent: CallAgent,
  call: InboundCall,
  now: Date,
): Promise<GateDecision> {
  const callId = randomUUID()
  const forward = ctx.out_of_minutes_behavior === 'forward' && agent.forwardingNumber !== null
  const message = !forward && ctx.out_of_minutes_behavior === 'take_message'
  // What the call becomes when no minutes could be reserved.
  const none = forward ? { status: 'in_progress', reason: null, outcome: 'forwarded_no_minutes' } : message ? { status: 'in_progress', reason: null, outcome: 'message_no_minutes' } : { status: 'refused', reason: 'no_minutes', outcome: null }
  const [result] = await queryPrepared<{ reserved: number; remaining: number }>(
    db,
    'voice.reserve_and_record_call',
    `with r as (select reserved, remaining from answerline_reserve_minutes($1, $2, $3, $4, 1)),
     c as (
       insert into calls (id, business_id, phone_number_id, agent_config_id, twilio_call_sid, direction, from_number, to_number, started_at,
                          status, reserved_minutes, refusal_reason, escalated, outcome)
       select $2, $3, $5, $6, $7, 'inbound', $8, $9, $10,
              case when r.reserved > 0 then 'in_progress' else $11 end, r.reserved,
              case when r.reserved > 0 then null else $12 end,
              r.reserved = 0 and $13::boolean, case when r.reserved > 0 then null else $14 end
       from r returning id, business_id, reserved_minutes
     ),
     k as (
       insert into consent_records (call_id, business_id, language, prompt_text)
       select id, business_id, $15, $16 from c where $17::boolean and c.reserved_minutes > 0
     )
     select reserved, remaining from r`,
    [
      ctx.billing_account_id,
      callId,
      ctx.business_id,
      settings.reservationMinutes,
      ctx.phone_number_id,
      ctx.agent_config_id,
      call.callSid,
      call.from,
      call.to,
      now,
      none.status,
      none.reason,
      forward,
      none.outcome,
      agent.language,
      agent.consentPrompt,
      agent.recordingEnabled,
    ],
  )
  const { reserved, remaining } = result as { reserved: number; remaining: number }
  if (reserved === 0) {
    // `outOfMinutes` names the business, so its owners can be told the minutes ran out.
    const outOfMinutes = ctx.business_id as string
    if (forward) return { kind: 'forward', callId, agent, forwardingNumber: agent.forwardingNumber as string, outOfMinutes }
    if (message) return { kind: 'take_message', callId, agent, businessName: ctx.name, outOfMinutes }
    return { kind: 'refused', callId, reason: 'no_minutes', language: agent.language, outOfMinutes }
  }
  const included = PLANS[ctx.plan as PlanKey]?.includedMinutes ?? 0
  const lowBalance = remaining < Math.max(LOW_BALANCE_FLOOR, Math.round(included * LOW_BALANCE_SHARE))
  return { kind: 'answer', callId, businessId: ctx.business_id, agent, reservedMinutes: reserved, lowBalance }
}

function replayDecision(ctx: Record<string, any>, agent: CallAgent): GateDecision {
  const callId = ctx.existing_call_id as string
  const replayed = true
  if (ctx.existing_status === 'refused') return { kind: 'refused', callId, reason: ctx.existing_reason, language: agent.language, replayed }
  const outcome = String(ctx.existing_outcome ?? '')
  if (outcome.startsWith('forwarded') && agent.forwardingNumber) return { kind: 'forward', callId, agent, forwardingNumber: agent.forwardingNumber, replayed }
  if (outcome.startsWith('message')) return { kind: 'take_message', callId, agent, businessName: ctx.name, replayed }
  return { kind: 'answer', callId, businessId: ctx.business_id, agent, reservedMinutes: ctx.existing_reserved, lowBalance: false, replayed }
}
