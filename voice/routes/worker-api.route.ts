import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError, digestsEqual, sha256 } from '../../core/index.ts'
import { transferCall } from '../transfer.ts'
import type { TwilioClient } from '../twilio/twilio-client.ts'

const transferBody = z.object({ reason: z.string().min(1).max(200) })

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

  app.post<{ Params: { callSid: string } }>('/internal/voice/calls/:callSid/transfer', async (request, reply) => {
    const body = transferBody.safeParse(request.body)
    if (!body.success || !/^CA[0-9a-f]{32}$/.test(request.params.callSid)) return reply.code(400).send({ error: 'malformed transfer request' })
    try {
      await transferCall({ db: app.db, twilio: options.twilio, publicBaseUrl: app.config.http.publicBaseUrl }, request.params.callSid, body.data.reason)
      return reply.code(202).send({ status: 'transferring' })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      const status = { NOT_FOUND: 404, CONFLICT: 409, UPSTREAM_UNAVAILABLE: 502 }[error.code as 'NOT_FOUND'] ?? 400
      return reply.code(status).send({ error: error.message, code: error.code })
    }
  })
}
