import type { FastifyInstance } from 'fastify'
import { createStripe } from './stripe-client.ts'
import { stripeEventHandler } from './stripe-events.job.ts'
import { stripeWebhookRoute } from './stripe-webhook.route.ts'

/** The api side: Stripe's webhook, when billing is configured. */
export async function billingApiPlugin(app: FastifyInstance): Promise<void> {
  const { stripe: settings } = app.config.billing
  const stripe = createStripe(settings)
  if (!stripe || !settings.webhookSecret) {
    app.log.info('STRIPE_SECRET_KEY is not set: billing is off (plans and minutes change only by hand)')
    return
  }
  await stripeWebhookRoute(app, { stripe, webhookSecret: settings.webhookSecret })
}

/** The worker side: stored Stripe events are applied by a job each. */
export async function billingWorkerPlugin(app: FastifyInstance): Promise<void> {
  const stripe = createStripe(app.config.billing.stripe)
  if (!stripe) return
  app.jobs
    .work('stripe-event', stripeEventHandler({ db: app.db, stripe, mailer: app.mailer, billing: app.config.billing, log: app.log }))
    .catch((error: unknown) => app.log.error({ err: error }, 'stripe event runner not attached'))
}
