import type { FastifyInstance } from 'fastify'
import { runAutoTopup, sweepAutoTopups } from './auto-topup.ts'
import { renewFreeAllowances } from './free-allowance.ts'
import { createStripe } from './stripe-client.ts'
import { stripeEventHandler } from './stripe-events.job.ts'
import { stripeWebhookRoute } from './stripe-webhook.route.ts'

/** The api side: Stripe's webhook, when billing is configured. */
export async function billingApiPlugin(app: FastifyInstance): Promise<void> {
  const { stripe: settings } = app.config.billing
  const stripe = createStripe(settings, (kind) => app.metrics.providerError('stripe', kind))
  if (!stripe || !settings.webhookSecret) {
    app.log.info('STRIPE_SECRET_KEY is not set: billing is off (plans and minutes change only by hand)')
    return
  }
  await stripeWebhookRoute(app, { stripe, webhookSecret: settings.webhookSecret })
}

// Often enough that a low balance is topped up within a minute or so.
const AUTO_TOPUP_CRON = '* * * * *'
// Free periods end at any hour; renewing within the hour is soon enough.
const FREE_ALLOWANCE_CRON = '7 * * * *'

/**
 * The worker side: free accounts' minutes renew each period (with or without Stripe); with Stripe,
 * stored events are applied by a job each, and auto top-ups are bought.
 */
export async function billingWorkerPlugin(app: FastifyInstance): Promise<void> {
  const attach = (attaching: Promise<void>) => attaching.catch((error: unknown) => app.log.error({ err: error }, 'billing job runner not attached'))
  attach(app.jobs.work('free-allowance-sweep', async () => {
    const renewed = await renewFreeAllowances(app.db)
    if (renewed) app.log.info({ renewed }, 'free plan minutes renewed')
  }))
  attach(app.jobs.schedule('free-allowance-sweep', FREE_ALLOWANCE_CRON))
  const stripe = createStripe(app.config.billing.stripe, (kind) => app.metrics.providerError('stripe', kind))
  if (!stripe) return
  const deps = { db: app.db, jobs: app.jobs, stripe, mailer: app.mailer, billing: app.config.billing, log: app.log }
  attach(app.jobs.work('stripe-event', stripeEventHandler(deps)))
  attach(app.jobs.work('auto-topup', async (job) => {
    const outcome = await runAutoTopup(deps, job.data.billingAccountId)
    app.log.info({ billingAccountId: job.data.billingAccountId, outcome }, 'auto top-up')
  }))
  attach(app.jobs.work('auto-topup-sweep', async () => void (await sweepAutoTopups(app.db, app.jobs))))
  attach(app.jobs.schedule('auto-topup-sweep', AUTO_TOPUP_CRON))
}
