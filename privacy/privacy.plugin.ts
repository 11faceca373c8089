import type { FastifyInstance } from 'fastify'
import { configuredS3Client } from '../core/index.ts'
import { sweepRetention } from './retention-sweep.ts'

// Daily, at a quiet hour for most of the world; operators can also queue a sweep at any time.
const RETENTION_CRON = '17 3 * * *'

/** The retention sweep, where jobs run: in worker instances. */
export async function privacyWorkerPlugin(app: FastifyInstance): Promise<void> {
  const s3 = configuredS3Client(app.config)
  app.addHook('onClose', async () => s3?.destroy())
  const deps = { db: app.db, storage: s3 ? { s3, bucket: app.config.storage.bucket } : null, log: app.log }
  const attach = (attaching: Promise<void>) => attaching.catch((error: unknown) => app.log.error({ err: error }, 'retention sweep not attached'))
  attach(app.jobs.work('retention-sweep', async () => {
    const counts = await sweepRetention(deps)
    if (counts.calls) app.log.info(counts, 'retention sweep removed expired calls')
  }))
  attach(app.jobs.schedule('retention-sweep', RETENTION_CRON))
}
