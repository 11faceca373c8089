import type { Knex } from 'knex'
import { AppError } from '../core/index.ts'
import type { TwilioClient } from './twilio/twilio-client.ts'
import { dialTwiml, takeMessageTwiml, VOICE_PATHS } from './twiml.ts'

// How long the business's phone rings before the caller is taken back to the AI.
export const TRANSFER_RING_SECONDS = 20

export type TransferOutcome = 'answered' | 'busy' | 'no_answer' | 'failed'

const E164 = /^\+[1-9]\d{6,14}$/

/**
 * Moves a live call to the business's forwarding number: Twilio is told to replace the call's
 * instructions with a <Dial>, keeping the caller's number as caller ID. The outcome comes back on
 * the transfer-result webhook.
 */
export async function transferCall(deps: { db: Knex; twilio: TwilioClient | null; publicBaseUrl: string }, callSid: string, reason: string): Promise<void> {
  const call = await deps.db('calls as c').leftJoin('agent_configs as a', 'a.id', 'c.agent_config_id').where('c.twilio_call_sid', callSid).first('c.id', 'c.ended_at', 'c.from_number', 'a.forwarding_number', 'a.language')
  if (!call) throw new AppError('NOT_FOUND', 'Call was not found')
  if (call.ended_at) throw new AppError('CONFLICT', 'The call has ended')
  if (!call.forwarding_number) throw new AppError('CONFLICT', 'The business has no forwarding number')
  if (!deps.twilio) throw new AppError('UPSTREAM_UNAVAILABLE', 'Twilio is not configured')
  const twiml = dialTwiml({
    number: call.forwarding_number,
    callerId: E164.test(call.from_number) ? call.from_number : null,
    timeoutSeconds: TRANSFER_RING_SECONDS,
    action: `${deps.publicBaseUrl}${VOICE_PATHS.transferResult}`,
    preface: 'Connecting you with the team now.',
    language: call.language ?? 'en-US',
  })
  try {
    await deps.twilio.calls(callSid).update({ twiml })
  } catch (error) {
    const { status, code } = error as { status?: number; code?: number }
    // 21220: the call is no longer in progress.
    if (code === 21220) throw new AppError('CONFLICT', 'The call has ended', undefined, { cause: error })
    throw new AppError('UPSTREAM_UNAVAILABLE', 'Twilio did not accept the transfer', { status }, { cause: error })
  }
  await deps.db('calls').where({ id: call.id }).update({ escalated: true, outcome: `transfer_requested:${reason}`.slice(0, 64) })
}

/** Reads Twilio's DialCallStatus: what happened when the business's phone rang. */
export function transferOutcomeOf(dialCallStatus: string | undefined): TransferOutcome {
  if (dialCallStatus === 'completed' || dialCallStatus === 'answered') return 'answered'
  if (dialCallStatus === 'busy') return 'busy'
  if (dialCallStatus === 'no-answer') return 'no_answer'
  return 'failed'
}

/** Records who ended up talking to the caller; an unanswered transfer leaves a callback to make. */
export async function recordTransferOutcome(db: Knex, callSid: string, outcome: TransferOutcome): Promise<void> {
  await db('calls')
    .where({ twilio_call_sid: callSid })
    .update({
      escalated: true,
      transfer_outcome: outcome,
      answered_by: outcome === 'answered' ? 'human' : 'ai',
      outcome: outcome === 'answered' ? 'transferred' : 'callback_requested',
    })
}

/**
 * The AI cannot go on (the model is unreachable): the caller goes to a person when the business
 * has a forwarding number, and otherwise leaves a spoken message. Never a dropped call.
 */
export async function fallbackCall(deps: { db: Knex; twilio: TwilioClient | null; publicBaseUrl: string }, callSid: string): Promise<'transferred' | 'message'> {
  const call = await deps.db('calls as c').leftJoin('agent_configs as a', 'a.id', 'c.agent_config_id').where('c.twilio_call_sid', callSid).first('c.id', 'a.forwarding_number', 'a.language')
  if (!call) throw new AppError('NOT_FOUND', 'Call was not found')
  if (call.forwarding_number) {
    await transferCall(deps, callSid, 'assistant unavailable')
    return 'transferred'
  }
  if (!deps.twilio) throw new AppError('UPSTREAM_UNAVAILABLE', 'Twilio is not configured')
  const twiml = takeMessageTwiml({ intro: 'Sorry, our assistant is having trouble. Please say your name, number and message after the tone.', language: call.language ?? 'en-US', action: `${deps.publicBaseUrl}${VOICE_PATHS.message}` })
  try {
    await deps.twilio.calls(callSid).update({ twiml })
  } catch (error) {
    throw new AppError('UPSTREAM_UNAVAILABLE', 'Twilio did not accept the fallback', { status: (error as { status?: number }).status }, { cause: error })
  }
  await deps.db('calls').where({ id: call.id }).update({ outcome: 'message_model_unavailable' })
  return 'message'
}
