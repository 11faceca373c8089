import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError, digestsEqual, recordAudit, sha256 } from '../../core/index.ts'
import { finalizeTestCall, publishCallCompleted } from '../call-status.ts'
import { createTestCall } from '../test-call.ts'
import { fallbackCall, transferCall } from '../transfer.ts'
import type { TwilioClient } from '../twilio/twilio-client.ts'

const transferBody = z.object({ reason: z.string().min(1).max(200) })
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
// A batch is what a few seconds of conversation produce; more means a confused or hostile worker.
const transcriptBody = z.object({
  segments: z
    .array(
      z.object({
        seq: z.number().int().min(0),
        speaker: z.enum(['caller', 'agent', 'system']),
        text: z.string().max(20_000),
        startedMs: z.number().int().min(0),
        endedMs: z.number().int().min(0).nullable(),
      }),
    )
    .min(1)
    .max(200),
})
const recordingStartBody = z.object({ storageKey: z.string().min(1).max(500), uploadId: z.string().min(1).max(1000) })
const recordingFinishBody = z.discriminatedUnion('status', [
  z.object({ status: z.literal('complete'), bytes: z.number().int().min(0), durationMs: z.number().int().min(0) }),
  z.object({ status: z.literal('failed') }),
  z.object({ status: z.literal('withdrawn') }),
])
const qualityBody = z.object({ quality: z.record(z.string(), z.union([z.number(), z.string(), z.null()])) })

/**
 * What the media worker asks of the api. The worker holds no database credentials; it proves
 * itself with the shared WORKER_SECRET as a bearer token, compared in constant time.
 */
export async function workerApiRoutes(app: FastifyInstance, options: { twilio: TwilioClient | null }): Promise<void> {
  const expected = sha256(app.config.voice.workerSecret as string)
  app.addHook('onRequest', async (request, reply) => {
    const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
    if (!digestsEqual(sha256(presented), expected)) return reply.code(401).send({ error: 'worker authentication failed' })
  })

  const failure = (reply: import('fastify').FastifyReply, error: unknown) => {
    if (!(error instanceof AppError)) throw error
    const status = { NOT_FOUND: 404, CONFLICT: 409, UPSTREAM_UNAVAILABLE: 502 }[error.code as 'NOT_FOUND'] ?? 400
    return reply.code(status).send({ error: error.message, code: error.code })
  }

  /** Everything the worker needs to brief the model about the business and this call. */
  app.get<{ Params: { callId: string } }>('/internal/voice/calls/:callId/agent', async (request, reply) => {
    if (!UUID.test(request.params.callId)) return reply.code(400).send({ error: 'malformed call id' })
    const row = await app.db('calls as c')
      .join('businesses as b', 'b.id', 'c.business_id')
      .leftJoin('agent_configs as a', 'a.id', 'c.agent_config_id')
      .where('c.id', request.params.callId)
      .first('c.id', 'c.from_number', 'c.ended_at', 'b.name', 'b.time_zone', 'a.*')
    if (!row) return reply.code(404).send({ error: 'call not found' })
    return {
      callId: row.id,
      callerNumber: row.from_number,
      business: { name: row.name, timeZone: row.time_zone },
      agent: {
        language: row.language,
        voice: row.voice,
        greeting: row.greeting,
        systemPrompt: row.system_prompt,
        knowledge: row.knowledge,
        services: row.services,
        workingHours: row.working_hours,
        captureFields: row.capture_fields,
        escalationRules: row.escalation_rules,
        canTransfer: row.forwarding_number !== null,
      },
    }
  })

  /** Transcript segments, in batches; a retried batch changes nothing (segments are keyed by their seq). */
  app.post<{ Params: { callId: string } }>('/internal/voice/calls/:callId/transcript', async (request, reply) => {
    const body = transcriptBody.safeParse(request.body)
    if (!UUID.test(request.params.callId) || !body.success) return reply.code(400).send({ error: 'malformed transcript batch' })
    const call = await app.db('calls').where({ id: request.params.callId }).first('id', 'business_id')
    if (!call) return reply.code(404).send({ error: 'call not found' })
    await app.db('transcript_segments')
      .insert(body.data.segments.map((s) => ({ call_id: call.id, business_id: call.business_id, seq: s.seq, speaker: s.speaker, text: s.text, started_ms: s.startedMs, ended_ms: s.endedMs })))
      .onConflict(['call_id', 'seq'])
      .ignore()
    return reply.code(204).send()
  })

  /**
   * A recording has started uploading. The row exists before the first byte is stored, so a worker
   * that dies mid-call leaves a row saying `uploading`, with the upload id to clean up.
   * Only calls whose caller consented can have one.
   */
  app.post<{ Params: { callId: string } }>('/internal/voice/calls/:callId/recording', async (request, reply) => {
    const body = recordingStartBody.safeParse(request.body)
    if (!UUID.test(request.params.callId) || !body.success) return reply.code(400).send({ error: 'malformed recording start' })
    const call = await app.db('calls as c').join('consent_records as r', 'r.call_id', 'c.id').where({ 'c.id': request.params.callId, 'r.decision': 'given' }).whereNull('r.withdrawn_at').first('c.id', 'c.business_id')
    if (!call) return reply.code(409).send({ error: 'no recording consent for this call' })
    await app.db('recordings').insert({ call_id: call.id, business_id: call.business_id, storage_key: body.data.storageKey, upload_id: body.data.uploadId }).onConflict('call_id').ignore()
    return reply.code(204).send()
  })

  /** The recording is complete, failed, or withdrawn by the caller (then the consent record says so too). */
  app.post<{ Params: { callId: string } }>('/internal/voice/calls/:callId/recording/finish', async (request, reply) => {
    const body = recordingFinishBody.safeParse(request.body)
    if (!UUID.test(request.params.callId) || !body.success) return reply.code(400).send({ error: 'malformed recording result' })
    const result = body.data
    await app.db.transaction(async (trx) => {
      const recording = trx('recordings').where({ call_id: request.params.callId, status: 'uploading' })
      if (result.status === 'complete') await recording.update({ status: 'complete', bytes: result.bytes, duration_ms: result.durationMs, completed_at: trx.fn.now(), upload_id: null })
      else if (result.status === 'failed') await recording.update({ status: 'failed' })
      else {
        await recording.update({ status: 'deleted', deleted_at: trx.fn.now() })
        // Once, however often the worker reports it: the audit entry is the withdrawal's, not the report's.
        const [withdrawn]: Array<{ business_id: string }> = await trx('consent_records').where({ call_id: request.params.callId, decision: 'given' }).whereNull('withdrawn_at').update({ withdrawn_at: trx.fn.now() }).returning('business_id')
        if (withdrawn) {
          const { organization_id: organizationId } = await trx('businesses').where({ id: withdrawn.business_id }).first('organization_id')
          await recordAudit(trx, { action: 'consent.withdrawn', actor: { type: 'worker', id: null }, organizationId, businessId: withdrawn.business_id, target: { type: 'call', id: request.params.callId }, metadata: { recordingDeleted: true } })
        }
      }
    })
    return reply.code(204).send()
  })

  /** A browser test call: the worker passes on the browser's credential; the api decides and reserves. */
  app.post('/internal/voice/test-calls', async (request, reply) => {
    const body = z.object({ authorization: z.string().min(1).max(8192), businessId: z.string().min(1).max(100) }).safeParse(request.body)
    if (!body.success) return reply.code(400).send({ error: 'malformed test call request' })
    try {
      return reply.code(201).send(await createTestCall(app.db, app.config, body.data))
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHENTICATED') return reply.code(401).send({ error: error.message, code: error.code })
      if (error instanceof AppError && error.code === 'FORBIDDEN') return reply.code(403).send({ error: error.message, code: error.code })
      return failure(reply, error)
    }
  })

  /** The worker reports that a test call ended; it is settled like a phone call's final status. */
  app.post<{ Params: { callId: string } }>('/internal/voice/calls/:callId/end', async (request, reply) => {
    const body = z.object({ durationSeconds: z.number().min(0).max(86_400) }).safeParse(request.body)
    if (!UUID.test(request.params.callId) || !body.success) return reply.code(400).send({ error: 'malformed end report' })
    const ended = await finalizeTestCall(app.db, app.jobs, request.params.callId, body.data.durationSeconds)
    if (ended) await publishCallCompleted(app, ended)
    return reply.code(ended ? 204 : 404).send()
  })

  /** Voice quality figures measured by the worker, merged into the call's record. */
  app.post<{ Params: { callId: string } }>('/internal/voice/calls/:callId/quality', async (request, reply) => {
    const body = qualityBody.safeParse(request.body)
    if (!UUID.test(request.params.callId) || !body.success) return reply.code(400).send({ error: 'malformed quality report' })
    const updated = await app.db('calls').where({ id: request.params.callId }).update({ quality: app.db.raw('quality || ?::jsonb', [JSON.stringify(body.data.quality)]), answered_by: app.db.raw("coalesce(answered_by, 'ai')") })
    return reply.code(updated ? 204 : 404).send()
  })

  app.post<{ Params: { callSid: string } }>('/internal/voice/calls/:callSid/fallback', async (request, reply) => {
    if (!/^CA[0-9a-f]{32}$/.test(request.params.callSid)) return reply.code(400).send({ error: 'malformed call sid' })
    try {
      const outcome = await fallbackCall({ db: app.db, twilio: options.twilio, publicBaseUrl: app.config.http.publicBaseUrl }, request.params.callSid)
      return reply.code(202).send({ status: outcome })
    } catch (error) {
      return failure(reply, error)
    }
  })

  app.post<{ Params: { callSid: string } }>('/internal/voice/calls/:callSid/transfer', async (request, reply) => {
    const body = transferBody.safeParse(request.body)
    if (!body.success || !/^CA[0-9a-f]{32}$/.test(request.params.callSid)) return reply.code(400).send({ error: 'malformed transfer request' })
    try {
      await transferCall({ db: app.db, twilio: options.twilio, publicBaseUrl: app.config.http.publicBaseUrl }, request.params.callSid, body.data.reason)
      return reply.code(202).send({ status: 'transferring' })
    } catch (error) {
      return failure(reply, error)
    }
  })
}
