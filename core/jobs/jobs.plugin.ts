import fp from 'fastify-plugin'
import { JobQueue } from './job-queue.ts'

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobQueue
  }
}

// A job in hand when the process stops gets this long to finish; otherwise it is retried elsewhere.
const STOP_TIMEOUT_MS = 10_000

/**
 * Decorates `app.jobs`, the PostgreSQL job queue. Every role enqueues; processes that run workers
 * also supervise (expire jobs lost with a dead worker, apply retention, fire schedules).
 */
export const jobsPlugin = fp<{ supervise: boolean }>(
  async (app, options) => {
    const { url } = app.config.database
    if (!url) throw new Error('database.url must be resolved before the job queue starts')
    const { concurrency, expireSeconds, pollSeconds } = app.config.jobs
    const jobs = new JobQueue({
      connectionString: url,
      supervise: options.supervise,
      // Enqueueing alone needs little; workers poll each queue and settle jobs alongside.
      poolMax: options.supervise ? concurrency + 4 : 2,
      expireSeconds,
      pollSeconds,
      concurrency,
      log: app.log,
    })
    jobs.startInBackground()
    app.decorate('jobs', jobs)
    app.addHook('onClose', async () => {
      await jobs.stop(STOP_TIMEOUT_MS)
    })
  },
  { name: 'jobs', dependencies: ['config', 'db'] },
)
