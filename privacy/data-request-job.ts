import type { FastifyBaseLogger } from 'fastify'
import { organizationBranding, recordAudit, userBranding, type JobRun, type Knex, type Mailer, type SealingKey } from '../core/index.ts'
import { openCallerSubject, type CallerSubject, type DataRequestHandlers, type DataRequestResult, type DataRequestRow, type EmailTemplate } from './data-requests.ts'
import { callerForms } from './caller-subject.ts'
import { ARCHIVE_TTL_DAYS, writeArchive } from './export-archives.ts'
import type { ObjectStorage } from './object-store-deletion.ts'

const DAY_MS = 86_400_000
// The request's error column is shown to the business; a sentence is enough, and keeps stack traces out.
const MAX_ERROR_CHARS = 300

export interface DataRequestJobDeps {
  db: Knex
  storage: ObjectStorage
  mailer: Mailer
  /** Keys that open the sealed caller (the connector sealing keys). */
  keys: readonly SealingKey[]
  log: FastifyBaseLogger
  handlers: DataRequestHandlers
}

/**
 * Serves one data request: runs its handler, writes an export's archive to the object store, and
 * completes the request (counts, archive key and expiry, sealed caller cleared), audited and told
 * to the requester. A failure is retried by the queue; on the last attempt the request is marked
 * failed with a short error that carries no personal data, and audited. Requests already ended are
 * left alone, so a replayed job does nothing.
 */
export async function serveDataRequest(deps: DataRequestJobDeps, job: JobRun<{ requestId: string }>): Promise<void> {
  const request: DataRequestRow | undefined = await deps.db('data_requests').where({ id: job.data.requestId }).whereIn('status', ['pending', 'processing']).first()
  if (!request) return
  const lastAttempt = job.retryCount >= job.retryLimit
  let caller: CallerSubject | null = null
  try {
    caller = openCallerSubject(deps.keys, request)
    const handler = deps.handlers[`${request.subject_type}:${request.kind}`]
    if (!handler) throw new Error(`no handler serves ${request.subject_type} ${request.kind} requests`)
    await deps.db('data_requests').where({ id: request.id, status: 'pending' }).update({ status: 'processing' })
    const result = await handler({ request, caller, lastAttempt })
    const notice = await complete(deps, request, result)
    if (notice) await tellRequester(deps, request, notice)
  } catch (error) {
    const message = describeFailure(error, caller)
    deps.log.warn({ requestId: request.id, kind: request.kind, attempt: job.retryCount, error: message }, 'data request attempt failed')
    if (lastAttempt) await fail(deps.db, request, message)
    // Rethrown with the safe message only: the queue keeps what it is given in its job rows.
    throw new Error(message)
  }
}

async function complete(deps: DataRequestJobDeps, request: DataRequestRow, result: DataRequestResult): Promise<EmailTemplate | null> {
  const exporting = request.kind === 'export'
  if (exporting && result.archive === undefined) throw new Error('the export handler returned no archive')
  const storageKey = exporting ? await writeArchive(deps.storage, request.id, result.archive) : null
  const expiresAt = exporting ? new Date(Date.now() + ARCHIVE_TTL_DAYS * DAY_MS) : null
  const completed = await deps.db.transaction(async (trx) => {
    const updated = await trx('data_requests')
      .where({ id: request.id })
      .whereIn('status', ['pending', 'processing'])
      .update({
        status: 'completed',
        completed_at: trx.fn.now(),
        counts: trx.raw('counts || ?::jsonb', [JSON.stringify(result.counts)]),
        result_storage_key: storageKey,
        result_expires_at: expiresAt,
        error: null,
        subject_ciphertext: null,
        subject_key_id: null,
      })
    if (!updated) return false
    await auditEnd(trx, request, 'data_request.completed')
    return true
  })
  if (!completed) return null
  if (result.notice) return result.notice
  return expiresAt ? { kind: 'data_export_ready', subject: request.subject_type === 'caller' ? 'caller' : 'account', expiresAt } : null
}

async function fail(db: Knex, request: DataRequestRow, message: string): Promise<void> {
  await db.transaction(async (trx) => {
    const updated = await trx('data_requests')
      .where({ id: request.id })
      .whereIn('status', ['pending', 'processing'])
      .update({ status: 'failed', error: message, subject_ciphertext: null, subject_key_id: null })
    if (updated) await auditEnd(trx, request, 'data_request.failed')
  })
}

/** The end of a request, in the audit log: ids and the kind only. */
function auditEnd(trx: Knex.Transaction, request: DataRequestRow, action: 'data_request.completed' | 'data_request.failed'): Promise<void> {
  const target = { type: 'data_request', id: request.id }
  return recordAudit(trx, { action, actor: { type: 'worker', id: null }, organizationId: request.organization_id, businessId: request.business_id, target, metadata: { kind: request.kind, subjectType: request.subject_type } })
}

/** Emails the person who asked; a lost email is logged and never undoes the completed request. */
async function tellRequester(deps: DataRequestJobDeps, request: DataRequestRow, template: EmailTemplate): Promise<void> {
  if (!request.requested_by) return
  const requester = await deps.db('users').where({ id: request.requested_by, status: 'active' }).first('email')
  if (!requester) return
  const branding = request.organization_id ? await organizationBranding(deps.db, request.organization_id) : await userBranding(deps.db, request.requested_by)
  await deps.mailer.send({ to: requester.email, template, ...(branding && { branding }) }).catch((error: unknown) => deps.log.warn({ requestId: request.id, err: error }, 'data request notice not sent'))
}

/**
 * What went wrong, in one short line fit for the request row, the logs and the job queue: the
 * error's own message (database errors keep their values in `detail`, which is left out), with
 * the caller's number and email blotted out should a message ever quote them.
 */
export function describeFailure(error: unknown, caller: CallerSubject | null): string {
  let message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim() || 'unknown error'
  for (const value of callerForms(caller)) message = message.split(value).join('[redacted]')
  return message.slice(0, MAX_ERROR_CHARS)
}
