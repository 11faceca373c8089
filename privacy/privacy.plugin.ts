import type { FastifyInstance } from 'fastify'
import { configuredS3Client, type QueueName } from '../core/index.ts'
import { attachClosureJobs } from './closure-jobs.ts'
import { callerRequestHandlers } from './caller-requests.ts'
import { connectorErasure } from './connector-erasure.ts'
import { serveDataRequest } from './data-request-job.ts'
import { deleteExpiredArchives } from './export-archives.ts'
import { sendPolicyNotices } from './policy-notices.ts'
import { sweepRetention } from './retention-sweep.ts'
import { userRequestHandlers } from './user-export.ts'

// Daily, at a quiet hour for most of the world; operators can also queue a sweep at any time.
const RETENTION_CRON = '17 3 * * *'

/** Attaches a queue's handler or schedule; a failure is logged with the queue it was for, and the others still attach. */
export type Attach = (queue: QueueName, attaching: Promise<void>) => void

/** Retention, closures and purges, data requests and policy notices, where jobs run: in worker instances. */
export async function privacyWorkerPlugin(app: FastifyInstance): Promise<void> {
  const s3 = configuredS3Client(app.config)
  app.addHook('onClose', async () => s3?.destroy())
  const deps = { db: app.db, storage: s3 ? { s3, bucket: app.config.storage.bucket } : null, log: app.log }
  const attach: Attach = (queue, attaching) => attaching.catch((error: unknown) => app.log.error({ err: error, queue }, 'privacy job not attached'))
  attach('retention-sweep', app.jobs.work('retention-sweep', async () => {
    // Expired export archives go on the same daily run, whatever becomes of the calls' sweep.
    const [calls, archives] = await Promise.allSettled([sweepRetention(deps), deleteExpiredArchives(deps)])
    if (calls.status === 'fulfilled' && calls.value.calls) app.log.info(calls.value, 'retention sweep removed expired calls')
    if (archives.status === 'fulfilled' && archives.value) app.log.info({ archives: archives.value }, 'expired export archives deleted')
    for (const outcome of [calls, archives]) if (outcome.status === 'rejected') throw outcome.reason
  }))
  attach('retention-sweep', app.jobs.schedule('retention-sweep', RETENTION_CRON))
  attachClosureJobs(app, deps.storage, attach)
  const handlers = {
    ...callerRequestHandlers({ db: app.db, storage: deps.storage, eraseDelivered: connectorErasure(app) }),
    ...userRequestHandlers({ db: app.db }),
  }
  const requests = { db: app.db, storage: deps.storage, mailer: app.mailer, keys: app.config.connectors.keys, log: app.log, handlers }
  attach('data-request', app.jobs.work('data-request', (job) => serveDataRequest(requests, job)))
  attach('policy-notice', app.jobs.work('policy-notice', async (job) => {
    const counts = await sendPolicyNotices({ db: app.db, mailer: app.mailer, log: app.log }, job.data.policyVersionId)
    app.log.info({ policyVersionId: job.data.policyVersionId, ...counts }, 'policy notices sent')
  }))
}
