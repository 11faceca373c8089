import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import websocket from '@fastify/websocket'
import type { Config, Role } from './config/config.ts'
import { configPlugin } from './config/config.plugin.ts'
import { dbPlugin } from './db/db.plugin.ts'
import { eventsPlugin } from './events/domain-events.ts'
import { healthPlugin } from './health/health.plugin.ts'
import { jobsPlugin } from './jobs/jobs.plugin.ts'
import { lifecyclePlugin } from './lifecycle/lifecycle.plugin.ts'
import { loggerOptions } from './logging/logger.ts'
import { mailPlugin } from './mail/index.ts'
import { metricsPlugin } from './metrics/metrics.plugin.ts'
import { widgetHostPlugin } from './web/widget-host.plugin.ts'

/** A domain's contribution to the app: registered for the roles it serves. */
export interface DomainPlugin {
  roles: readonly Role[]
  register(app: FastifyInstance): Promise<void>
}

export interface CreateAppOptions {
  role?: Role
  /** Domain plugins (graphql, voice, ...) composed onto core; core itself imports none of them. */
  domains?: readonly DomainPlugin[]
  /** Where logs go; tests capture them. Defaults to stdout. */
  logStream?: NodeJS.WritableStream
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/

/** Builds the Fastify app from core plus the given domains. It does not listen. */
export async function createApp(config: Config, options: CreateAppOptions = {}): Promise<FastifyInstance> {
  const role = options.role ?? 'all'
  const app = Fastify({
    logger: options.logStream ? { ...loggerOptions(config.log.level), stream: options.logStream } : loggerOptions(config.log.level),
    // Keep a caller-supplied request id (from a proxy or the media worker) so one id spans processes.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    bodyLimit: 1_048_576,
    // Behind a load balancer the client address comes from X-Forwarded-For; rate limits key on it.
    trustProxy: config.trustProxy,
    // While it drains the app answers what still reaches it (see the lifecycle plugin) and /readyz
    // says why it is unavailable; Fastify's blanket 503 would cut off a draining worker's own calls.
    return503OnClosing: false,
  })
  if (config.auth.jwtKeys.length === 0 || !config.auth.pepper || !config.twilio.authToken || !config.voice.workerSecret) {
    throw new Error('secrets must be resolved (resolveDevSecrets) before the app is built')
  }
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  // Time spent in the app, for load balancers, browsers' dev tools and the benchmarks.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`)
    return payload
  })

  await app.register(configPlugin, { config })
  await app.register(dbPlugin, { role })
  // Before any route, so its timing hook covers every route of every domain.
  await app.register(metricsPlugin)
  await app.register(jobsPlugin, { supervise: role !== 'api' })
  await app.register(lifecyclePlugin)
  await app.register(eventsPlugin)
  await app.register(mailPlugin)
  await app.register(websocket, {
    // Media streams carry 50 text frames a second per call; their UTF-8 check is pure overhead
    // (payloads are base64, and JSON.parse copes with anything else).
    options: { maxPayload: 1_048_576, skipUTF8Validation: true, perMessageDeflate: false },
    // Drain before the sockets close, so subscribers and live calls hear about the shutdown.
    preClose: async function closeSockets(this: FastifyInstance) {
      await app.lifecycle.drain()
      // 1012 Service Restart: graphql-ws and browsers take it as "reconnect", which reaches a ready instance.
      for (const client of this.websocketServer.clients) client.close(1012, 'service restart: reconnect')
      await new Promise<void>((resolve) => this.websocketServer.close(() => resolve()))
    },
  })
  await app.register(healthPlugin)
  if (role !== 'worker') await app.register(widgetHostPlugin)
  for (const domain of options.domains ?? []) {
    if (role === 'all' || domain.roles.includes(role)) await domain.register(app)
  }
  await app.ready()
  return app
}
