import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyPluginAsync } from 'fastify'
import type { WebSocket } from 'ws'
import twilio from 'twilio'
import { configuredS3Client } from '../../core/index.ts'
import { VOICE_PATHS } from '../twiml.ts'
import { CallSession } from './call-session.ts'
import { WorkerApi } from './worker-api.ts'

// The goodbye the agent says when the drain time is over, given this long to play.
const GOODBYE_PLAY_MS = 4_000

/**
 * The media worker's endpoint: Twilio opens a WebSocket to /voice/stream for each answered call.
 * The upgrade request carries X-Twilio-Signature over the stream URL; the call itself is
 * authenticated by the signed call token in the start message. When the worker drains, live calls
 * may go on for the drain time, and are then ended politely.
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
  const sessions = new Map<CallSession, Promise<void>>()
  app.metrics.countLiveStreams(() => sessions.size)

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
      track(sessions, socket, new CallSession(socket, { api, settings, log: request.log, metrics: app.metrics }))
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
      track(sessions, socket, new CallSession(socket, { api, settings, log: request.log, metrics: app.metrics, testCall: true }))
    },
  )

  // New streams are refused while draining (the lifecycle plugin refuses new WebSockets); live
  // calls go on until they end or the drain time runs out, then hear a goodbye. Every call's end
  // (transcript, recording, quality) is awaited, so nothing is lost when the process exits.
  app.lifecycle.onDrain(async () => {
    const allEnded = Promise.all(sessions.values())
    const timer = new AbortController()
    const late = await Promise.race([allEnded.then(() => false), sleep(config.voice.drainSeconds * 1000, true, { signal: timer.signal })])
    timer.abort()
    if (late) await Promise.all([...sessions.keys()].map((session) => session.goodbye('worker_draining', GOODBYE_PLAY_MS)))
    await allEnded
  })
}

/** Keeps a session until its end is saved, not merely until its socket closes. */
function track(sessions: Map<CallSession, Promise<void>>, socket: WebSocket, session: CallSession): void {
  sessions.set(
    session,
    new Promise((resolve) => {
      socket.once('close', () => void session.end('twilio_closed').finally(() => {
        sessions.delete(session)
        resolve()
      }))
    }),
  )
}
