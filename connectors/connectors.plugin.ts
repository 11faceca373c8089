import type { FastifyInstance } from 'fastify'
import { AppError } from '../core/index.ts'
import { completeOAuth } from './connector-admin.ts'
import { DeliveryDispatcher } from './delivery/dispatcher.ts'
import { createConnectorRegistry, OAUTH_CALLBACK_PATH } from './registry.ts'

const page = (title: string, message: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title><body style="font-family:system-ui;margin:3rem"><h1>${title}</h1><p>${message}</p></body></html>`

/** Where HubSpot and Salesforce send the business owner back with a code, after they grant access. */
export async function oauthCallbackPlugin(app: FastifyInstance): Promise<void> {
  const registry = createConnectorRegistry(app.config)
  app.get<{ Querystring: { code?: string; state?: string; error?: string; error_description?: string } }>(OAUTH_CALLBACK_PATH, async (request, reply) => {
    const { code, state, error } = request.query
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store')
    if (error || !code || !state) return reply.code(400).send(page('Not connected', 'Access was not granted. Close this window and try again from Answerline.'))
    try {
      await completeOAuth({ db: app.db, config: app.config, registry }, state, code)
      return reply.send(page('Connected', 'Your CRM is connected to Answerline. You can close this window.'))
    } catch (failure) {
      request.log.warn({ err: failure }, 'OAuth callback failed')
      const message = failure instanceof AppError ? failure.message : 'The CRM did not accept the authorization. Try again from Answerline.'
      return reply.code(failure instanceof AppError && failure.code === 'UNAUTHENTICATED' ? 400 : 502).send(page('Not connected', message.replace(/[<>&]/g, '')))
    }
  })
}

/** Delivers the outbox to CRMs and webhooks, in worker processes; stops claiming when the worker drains. */
export async function deliveryWorkerPlugin(app: FastifyInstance): Promise<void> {
  const dispatcher = new DeliveryDispatcher({
    db: app.db,
    registry: createConnectorRegistry(app.config),
    keys: app.config.connectors.keys,
    mailer: app.mailer,
    publicBaseUrl: app.config.http.publicBaseUrl,
    concurrency: app.config.connectors.deliveryConcurrency,
    log: app.log,
    metrics: app.metrics,
  })
  app.addHook('onReady', async () => dispatcher.start())
  app.lifecycle.onDrain(() => dispatcher.stop())
  app.addHook('onClose', () => dispatcher.stop())
}
