import type { FastifyInstance } from 'fastify'
import { serveDataRequest } from './data-request-job.ts'
import type { DataRequestHandlers } from './data-requests.ts'
import type { ObjectStorage } from './object-store-deletion.ts'
import type { Attach } from './privacy.plugin.ts'

/** Runs the data-request queue in this worker with the given handlers (`caller:erasure`, `user:export`...). */
export function attachDataRequests(app: FastifyInstance, storage: ObjectStorage, attach: Attach, handlers: DataRequestHandlers): void {
  const deps = { db: app.db, storage, mailer: app.mailer, keys: app.config.connectors.keys, log: app.log, handlers }
  attach('data-request', app.jobs.work('data-request', (job) => serveDataRequest(deps, job)))
}
