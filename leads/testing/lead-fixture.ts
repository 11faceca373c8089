import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { callSid, postTwilio, type VoiceBusiness } from '../../voice/testing/voice-fixture.ts'

export type Line = [speaker: 'caller' | 'agent' | 'system', text: string]

/**
 * A phone call that happened: Twilio's inbound webhook creates it, the media worker's transcript
 * and end report are written as the worker would, and Twilio's final status callback ends it
 * (which enqueues its lead extraction). Returns the call id.
 */
export async function finishedCall(app: FastifyInstance, db: Knex, business: VoiceBusiness, lines: Line[], options: { from?: string; streamEnded?: boolean } = {}): Promise<string> {
  const sid = callSid()
  await postTwilio(app, '/voice/inbound', { CallSid: sid, From: options.from ?? '+14155550199', To: business.number })
  const call = await db('calls').where({ twilio_call_sid: sid }).first('id', 'business_id')
  if (lines.length) {
    await db('transcript_segments').insert(lines.map(([speaker, text], seq) => ({ call_id: call.id, business_id: call.business_id, seq, speaker, text, started_ms: seq * 3000, ended_ms: seq * 3000 + 2500 })))
  }
  if (options.streamEnded !== false) await db('calls').where({ id: call.id }).update({ quality: { endReason: 'twilio_stopped' }, answered_by: 'ai' })
  const status = await postTwilio(app, '/voice/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '75', SequenceNumber: '9' })
  if (status.statusCode !== 204) throw new Error(`status callback answered ${status.statusCode}`)
  return call.id
}

/** Waits until `check` returns a value (not undefined/false), polling the database. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A model answer in the shape the lead schema asks for; `fields` override the empty defaults. */
export function modelAnswer(fields: Record<string, unknown> = {}, custom: Record<string, unknown> = {}, summary = 'Caller needs help.'): string {
  const empty = { value: null, confidence: 0, segment: null }
  const base = Object.fromEntries(['name', 'email', 'phone', 'reason', 'requestedService', 'urgency', 'callOutcome', 'temperature'].map((k) => [k, empty]))
  return JSON.stringify({ ...base, ...fields, summary, custom })
}
