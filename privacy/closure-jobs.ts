import type { FastifyInstance } from 'fastify'
import { createStripe } from '../billing/index.ts'
import { createTwilioClient } from '../voice/index.ts'
import { syncClosureSubscriptions } from './closure-subscriptions.ts'
import type { ObjectStorage } from './object-store-deletion.ts'
import type { Attach } from './privacy.plugin.ts'
import { purgeClosedOrganizations } from './organization-purge.ts'

// Hourly: a closed organization is purged within the hour after its date, well inside 30 days.
const PURGE_CRON = '41 * * * *'

/** The closure's jobs, in worker instances: the hourly purge, and Stripe subscriptions following closures and reopenings. */
export function attachClosureJobs(app: FastifyInstance, storage: ObjectStorage, attach: Attach): void {
  const stripe = createStripe(app.config.billing.stripe, (kind) => app.metrics.providerError('stripe', kind))
  const numbers = { db: app.db, twilio: createTwilioClient(app.config.twilio, (kind) => app.metrics.providerError('twilio', kind)), publicBaseUrl: app.config.http.publicBaseUrl }
  attach('organization-subscriptions', app.jobs.work('organization-subscriptions', async (job) => void (await syncClosureSubscriptions({ db: app.db, stripe, log: app.log }, job.data.organizationId))))
  attach('organization-purge-sweep', app.jobs.work('organization-purge-sweep', async () => {
    const purged = await purgeClosedOrganizations({ db: app.db, storage, numbers, stripe, log: app.log })
    if (purged) app.log.info({ purged }, 'closed organizations purged')
  }))
  attach('organization-purge-sweep', app.jobs.schedule('organization-purge-sweep', PURGE_CRON))
}
