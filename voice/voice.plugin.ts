import formbody from '@fastify/formbody'
import type { FastifyPluginAsync } from 'fastify'
import { twilioWebhookRoutes } from './routes/twilio-webhooks.route.ts'
import { workerApiRoutes } from './routes/worker-api.route.ts'
import { createTwilioClient } from './twilio/twilio-client.ts'

/**
 * The telephony side of the api: Twilio's webhooks (form-encoded, signed) and the worker's
 * requests (bearer secret), each in its own encapsulated context so neither check leaks.
 */
export const voicePlugin: FastifyPluginAsync = async (app) => {
  const twilio = createTwilioClient(app.config.twilio, (kind) => app.metrics.providerError('twilio', kind))
  await app.register(async (webhooks) => {
    await webhooks.register(formbody)
    await twilioWebhookRoutes(webhooks)
  })
  await app.register(async (internal) => workerApiRoutes(internal, { twilio }))
}
