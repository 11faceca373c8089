import type { FastifyPluginAsync } from 'fastify'
import twilio from 'twilio'
import { configuredS3Client } from '../../core/index.ts'
import { VOICE_PATHS } from '../twiml.ts'
import { CallSession } from './call-session.ts'
import { WorkerApi } from './worker-api.ts'

/**
 * The media worker's endpoint: Twilio opens a WebSocket to /voice/stream for each answered call.
 * The upgrade request carries X-Twilio-Signature over the stream URL; the call itself is
 * authenticated by the signed call token in the start message. Live sessions are ended politely
 * when the worker drains.
 */
export const mediaStreamPlugin: FastifyPluginAsync = async (app) => {
  const { config } = app
  const streamUrl = `${config.http.publicBaseUrl.replace(/^http/, 'ws')}${VOICE_PATHS.stream}`
  const api = new WorkerApi(config.voice.apiInternalUrl, config.voice.workerSecret as string)
  const s3 = configuredS3Client(config)
  if (!s3) app.log.warn('no object store configured: calls will not be recorded')
  app.addHook('onClose', async () => s3?.destroy())
  const settings = {
    storage: s3 ? { s3, bucket: config.storage.bucket } : null,
    workerSecret: config.voice.workerSecret as string,
    realtimeUrl: config.openai.realtimeUrl,
    realtimeModel: config.openai.realtimeModel,
    transcribeModel: config.openai.transcribeModel,
    openaiApiKey: config.openai.apiKey,
  }
  const sessions = new Set<CallSession>()

  app.get(
    VOICE_PATHS.stream,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        const signature = request.headers['x-twilio-signature']
        if (typeof signature !== 'string' || !twilio.validateRequest(config.twilio.authToken as string, signature, streamUrl, {})) {
          return reply.code(403).send({ error: 'invalid Twilio signature' })
        }
      },
    },
    (socket, request) => {
      const session = new CallSession(socket, { api, settings, log: request.log })
      sessions.add(session)
      socket.on('close', () => sessions.delete(session))
    },
  )

  // The same protocol from a browser: authenticated by the credential in its start message, and
  // only from pages on an allowed origin (browsers always send Origin).
  const allowedOrigins = new Set(config.graphql.allowedOrigins)
  app.get(
    VOICE_PATHS.testCall,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        const origin = request.headers.origin
        if (origin && !allowedOrigins.has(origin)) return reply.code(403).send({ error: 'origin not allowed' })
      },
    },
    (socket, request) => {
      const session = new CallSession(socket, { api, settings, log: request.log, testCall: true })
      sessions.add(session)
      socket.on('close', () => sessions.delete(session))
    },
  )

  app.lifecycle.onDrain(async () => {
    await Promise.all([...sessions].map((session) => session.end('worker_draining')))
  })
}
