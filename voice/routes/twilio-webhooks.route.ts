import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import { gateInboundCall, observeGateDecision, type CallAgent, type GateDecision } from '../call-gate.ts'
import { applyCallStatus, publishCallCompleted } from '../call-status.ts'
import { signCallToken, type CallMode } from '../call-token.ts'
import { recordConsentAnswer } from '../consent-flow.ts'
import { alertBalance } from '../balance-alerts.ts'
import { recordTransferOutcome, transferOutcomeOf } from '../transfer.ts'
import { connectStreamTwiml, consentQuestionTwiml, dialTwiml, emptyTwiml, goodbyeTwiml, refusalTwiml, REFUSAL_MESSAGES, takeMessageTwiml, VOICE_PATHS } from '../twiml.ts'
import { verifyTwilioSignature } from '../twilio/twilio-signature.ts'

const CALL_SID = z.string().regex(/^CA[0-9a-f]{32}$/)
// Twilio sends E.164 numbers, 'anonymous', or client:/sip: identities here.
const PARTY = z.string().min(1).max(64)
const inboundBody = z.object({ CallSid: CALL_SID, From: PARTY, To: PARTY })
const gatherBody = z.object({ CallSid: CALL_SID, Digits: z.string().max(20).optional(), SpeechResult: z.string().max(2000).optional() })
const statusBody = z.object({
  CallSid: CALL_SID,
  CallStatus: z.string().max(20),
  CallDuration: z.coerce.number().int().min(0).optional(),
  SequenceNumber: z.coerce.number().int().min(0).optional(),
})
const dialBody = z.object({ CallSid: CALL_SID, DialCallStatus: z.string().max(20).optional() })

const twiml = (reply: FastifyReply, body: string) => reply.type('text/xml; charset=utf-8').send(body)

/**
 * The webhooks Twilio calls during a call. Every request must carry a valid X-Twilio-Signature
 * (403 otherwise) and a well-formed body (400 otherwise); neither failure writes anything.
 */
export async function twilioWebhookRoutes(app: FastifyInstance): Promise<void> {
  const { publicBaseUrl } = app.config.http
  const streamUrl = `${publicBaseUrl.replace(/^http/, 'ws')}${VOICE_PATHS.stream}`
  const url = (path: string) => `${publicBaseUrl}${path}`
  app.addHook('preHandler', verifyTwilioSignature(app.config.twilio.authToken as string, publicBaseUrl))

  const parse = <T extends z.ZodType>(schema: T, body: unknown, reply: FastifyReply): z.output<T> | null => {
    const parsed = schema.safeParse(body)
    if (parsed.success) return parsed.data
    void reply.code(400).send({ error: 'malformed Twilio request', fields: parsed.error.issues.map((i) => i.path.join('.')) })
    return null
  }

  /** Hands the call to the AI with a call token that tells the worker everything it needs. */
  const connectToAgent = async (input: { callId: string; callSid: string; businessId: string; agent: CallAgent; reservedMinutes: number; recording: boolean; mode: CallMode; preface?: string }) => {
    const callToken = await signCallToken(app.config.voice.workerSecret as string, app.config.voice.callTokenTtlSeconds, {
      callId: input.callId,
      callSid: input.callSid,
      businessId: input.businessId,
      recording: input.recording,
      mode: input.mode,
      maxDurationSeconds: input.reservedMinutes * 60,
    })
    return connectStreamTwiml({ streamUrl, callToken, language: input.agent.language, ...(input.preface && { preface: input.preface }) })
  }

  /** After any staff-first ringing: ask for consent when recording is on, else disclose and connect. */
  const startAgent = async (decision: Extract<GateDecision, { kind: 'answer' }>, callSid: string) => {
    const { agent } = decision
    if (agent.recordingEnabled) return consentQuestionTwiml({ disclosure: agent.disclosure, prompt: agent.consentPrompt, language: agent.language, consentUrl: url(VOICE_PATHS.consent), repeat: false })
    return connectToAgent({ ...decision, callSid, recording: false, mode: 'conversation', preface: agent.disclosure })
  }

  app.post(VOICE_PATHS.inbound, async (request, reply) => {
    const body = parse(inboundBody, request.body, reply)
    if (!body) return reply
    const decision = await gateInboundCall(app.db, { reservationMinutes: app.config.voice.reservationMinutes }, { callSid: body.CallSid, from: body.From, to: body.To })
    observeGateDecision(app.metrics, decision)
    const alert = (businessId: string, kind: 'low' | 'exhausted') => void alertBalance(app, businessId, kind).catch((error: unknown) => request.log.warn({ err: error }, 'balance alert failed'))
    if ('outOfMinutes' in decision && decision.outOfMinutes) alert(decision.outOfMinutes, 'exhausted')
    switch (decision.kind) {
      case 'unknown_number':
        return twiml(reply, refusalTwiml('Sorry, this number is not in service. Goodbye.'))
      case 'refused':
        return twiml(reply, refusalTwiml(REFUSAL_MESSAGES[decision.reason], decision.language))
      case 'forward':
        return twiml(reply, dialTwiml({ number: decision.forwardingNumber, callerId: body.From, timeoutSeconds: 30, action: url(VOICE_PATHS.transferResult), language: decision.agent.language }))
      case 'take_message':
        return twiml(reply, takeMessageTwiml({ intro: `${decision.agent.disclosure} We can't take your call right now. Please say your name, number and message after the tone.`, language: decision.agent.language, action: url(VOICE_PATHS.message) }))
      case 'answer':
        if (decision.lowBalance) alert(decision.businessId, 'low')
        if (decision.agent.staffFirstSeconds && decision.agent.forwardingNumber) {
          return twiml(reply, dialTwiml({ number: decision.agent.forwardingNumber, callerId: body.From, timeoutSeconds: decision.agent.staffFirstSeconds, action: url(VOICE_PATHS.staffResult), language: decision.agent.language }))
        }
        return twiml(reply, await startAgent(decision, body.CallSid))
    }
  })

  app.post(VOICE_PATHS.consent, async (request, reply) => {
    const body = parse(gatherBody, request.body, reply)
    if (!body) return reply
    const result = await recordConsentAnswer(app.db, body.CallSid, { ...(body.Digits && { digits: body.Digits }), ...(body.SpeechResult && { speech: body.SpeechResult }) })
    const call = await app.db('calls as c').leftJoin('agent_configs as a', 'a.id', 'c.agent_config_id').where('c.twilio_call_sid', body.CallSid).first('c.id', 'c.business_id', 'c.reserved_minutes', 'a.language', 'a.disclosure_text', 'a.consent_prompt')
    if (!result || !call) return twiml(reply, goodbyeTwiml('Sorry, something went wrong with this call. Goodbye.'))
    const agent = { language: call.language, disclosure: call.disclosure_text, consentPrompt: call.consent_prompt } as CallAgent
    if (result.outcome === 'ask_again') return twiml(reply, consentQuestionTwiml({ disclosure: agent.disclosure, prompt: agent.consentPrompt, language: agent.language, consentUrl: url(VOICE_PATHS.consent), repeat: true }))
    const preface = { given: 'Thank you.', declined: 'No problem, this call will not be recorded.', not_completed: 'I will continue without recording this call.' }[result.outcome]
    return twiml(reply, await connectToAgent({ callId: call.id, callSid: body.CallSid, businessId: call.business_id, agent, reservedMinutes: call.reserved_minutes, recording: result.outcome === 'given', mode: 'conversation', preface }))
  })

  app.post(VOICE_PATHS.staffResult, async (request, reply) => {
    const body = parse(dialBody, request.body, reply)
    if (!body) return reply
    if (transferOutcomeOf(body.DialCallStatus) === 'answered') {
      await app.db('calls').where({ twilio_call_sid: body.CallSid }).update({ answered_by: 'human', outcome: 'answered_by_staff' })
      return twiml(reply, emptyTwiml())
    }
    const decision = await gateInboundCall(app.db, { reservationMinutes: app.config.voice.reservationMinutes }, await callParties(app, body.CallSid))
    if (decision.kind !== 'answer') return twiml(reply, goodbyeTwiml('Sorry, nobody can take your call right now. Goodbye.'))
    return twiml(reply, await startAgent(decision, body.CallSid))
  })

  app.post(VOICE_PATHS.transferResult, async (request, reply) => {
    const body = parse(dialBody, request.body, reply)
    if (!body) return reply
    const outcome = transferOutcomeOf(body.DialCallStatus)
    await recordTransferOutcome(app.db, body.CallSid, outcome)
    if (outcome === 'answered') return twiml(reply, emptyTwiml())
    // Nobody picked up: the AI comes back on the line to take a message for a callback.
    const call = await app.db('calls as c').leftJoin('agent_configs as a', 'a.id', 'c.agent_config_id').leftJoin('consent_records as r', 'r.call_id', 'c.id').where('c.twilio_call_sid', body.CallSid).first('c.id', 'c.business_id', 'c.reserved_minutes', 'a.language', 'r.decision', 'r.withdrawn_at')
    if (!call || call.reserved_minutes === 0) return twiml(reply, takeMessageTwiml({ intro: 'Sorry, nobody could answer. Please say your name, number and message after the tone.', language: call?.language ?? 'en-US', action: url(VOICE_PATHS.message) }))
    const agent = { language: call.language ?? 'en-US' } as CallAgent
    return twiml(reply, await connectToAgent({ callId: call.id, callSid: body.CallSid, businessId: call.business_id, agent, reservedMinutes: call.reserved_minutes, recording: call.decision === 'given' && !call.withdrawn_at, mode: 'take_message', preface: 'Sorry, nobody could answer right now.' }))
  })

  app.post(VOICE_PATHS.message, async (request, reply) => {
    const body = parse(gatherBody, request.body, reply)
    if (!body) return reply
    const call = await app.db('calls').where({ twilio_call_sid: body.CallSid }).first('id', 'business_id')
    if (call && body.SpeechResult?.trim()) {
      await app.db.transaction(async (trx) => {
        const next = await trx('transcript_segments').where({ call_id: call.id }).max({ seq: 'seq' }).first()
        await trx('transcript_segments').insert({ call_id: call.id, business_id: call.business_id, seq: (next?.seq ?? -1) + 1, speaker: 'caller', text: body.SpeechResult, started_ms: 0 })
        await trx('calls').where({ id: call.id }).update({ outcome: 'message_taken' })
      })
    }
    return twiml(reply, goodbyeTwiml('Thank you. We will get back to you as soon as we can. Goodbye.'))
  })

  app.post(VOICE_PATHS.status, async (request, reply) => {
    const body = parse(statusBody, request.body, reply)
    if (!body) return reply
    const outcome = await applyCallStatus(app.db, app.jobs, { callSid: body.CallSid, status: body.CallStatus, durationSeconds: body.CallDuration ?? null, sequenceNumber: body.SequenceNumber ?? null })
    if (outcome.kind === 'finalized') await publishCallCompleted(app, outcome)
    return reply.code(204).send()
  })
}

async function callParties(app: FastifyInstance, callSid: string) {
  const call = await app.db('calls').where({ twilio_call_sid: callSid }).first('from_number', 'to_number')
  return { callSid, from: call?.from_number ?? '', to: call?.to_number ?? '' }
}
