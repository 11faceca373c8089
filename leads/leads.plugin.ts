import type { FastifyInstance } from 'fastify'
import { extractLeadHandler } from './extract-lead.job.ts'
import { ModelExtractor } from './extraction/model-extractor.ts'
import { reextractFallbackLeads } from './reextract-sweep.job.ts'

// Often enough that leads catch up soon after an outage, rarely enough to cost nothing.
const REEXTRACT_CRON = '*/15 * * * *'

/** The lead pipeline's job runners, in worker processes: extraction after each call, and the re-extraction sweep. */
export async function leadWorkersPlugin(app: FastifyInstance): Promise<void> {
  const { apiKey, baseUrl, extractionModel, timeoutMs, maxRetries } = app.config.openai
  const extractor = apiKey ? new ModelExtractor({ apiKey, baseUrl, model: extractionModel, timeoutMs, maxRetries }) : null
  if (!extractor) app.log.info('OPENAI_API_KEY is not set: leads are extracted by the deterministic fallback')
  // Workers attach once the queue has started; a database that is down at boot only delays them.
  const attach = (attaching: Promise<void>) => attaching.catch((error: unknown) => app.log.error({ err: error }, 'lead job runner not attached'))
  attach(app.jobs.work('lead-extract', extractLeadHandler({ db: app.db, jobs: app.jobs, events: app.events, extractor, log: app.log, metrics: app.metrics })))
  if (extractor) {
    attach(
      app.jobs.work('lead-reextract-sweep', async () => {
        const queued = await reextractFallbackLeads(app.db, app.jobs)
        if (queued) app.log.info({ queued }, 'fallback leads queued for re-extraction')
      }),
    )
    attach(app.jobs.schedule('lead-reextract-sweep', REEXTRACT_CRON))
  }
}
