import { createHmac, randomUUID } from 'node:crypto'
import { open, recordAudit, seal, type AuditEntry, type Config, type JobQueue, type Knex, type Mailer, type SealingKey } from '../core/index.ts'

export type EmailTemplate = Parameters<Mailer['send']>[0]['template']

export type DataSubjectType = 'user' | 'caller'
export type DataRequestKind = 'export' | 'erasure' | 'rectification' | 'restriction'
export type DataRequestStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'canceled'

/** A caller as a business knows them: a phone number in E.164, an email address lower-cased, or both. */
export interface CallerSubject {
  phone: string | null
  email: string | null
}

/** A data_requests row. */
export interface DataRequestRow {
  id: string
  organization_id: string | null
  business_id: string | null
  subject_type: DataSubjectType
  subject_user_id: string | null
  subject_hash: Buffer | null
  kind: DataRequestKind
  status: DataRequestStatus
  requested_by: string | null
  result_storage_key: string | null
  result_expires_at: Date | null
  error: string | null
  counts: Record<string, unknown>
  created_at: Date
  completed_at: Date | null
  subject_ciphertext: Buffer | null
  subject_key_id: string | null
}

export interface NewDataRequest {
  subjectType: DataSubjectType
  kind: DataRequestKind
  organizationId?: string | null
  businessId?: string | null
  /** User requests: the user the data is about. */
  subjectUserId?: string | null
  /** Caller requests: who the caller is; only a keyed hash stays on the row once the request ends. */
  caller?: CallerSubject
  /** The person who asked, told by email when an export is ready; null for API keys. */
  requestedBy: string | null
  actor: AuditEntry['actor']
}

/** What serving a request needs to know, besides the request itself. */
export interface DataRequestRun {
  request: DataRequestRow
  /** The caller the request is about, opened from its sealed subject; null for user requests. */
  caller: CallerSubject | null
  /** The job's last attempt: a handler may then settle for what it could do instead of failing. */
  lastAttempt: boolean
}

export interface DataRequestResult {
  /** Exports: the archive, any JSON-serialisable value; written to the object store by the machinery. */
  archive?: unknown
  /** Counts and ids only, never personal data: they stay on the request after it ends. */
  counts: Record<string, unknown>
  /** What the requester is told when the request completes; exports default to the ready notice. */
  notice?: EmailTemplate
}

/** Serves one kind of request for one kind of subject; throws to have the job retried. */
export type DataRequestHandler = (run: DataRequestRun) => Promise<DataRequestResult>
export type DataRequestHandlerKey = `${DataSubjectType}:${DataRequestKind}`
/** The handlers the worker runs, by `${subject_type}:${kind}` (caller:export, user:export...). */
export type DataRequestHandlers = Partial<Record<DataRequestHandlerKey, DataRequestHandler>>

/** What creating a request needs: a GraphQL context has all of it. */
export interface DataRequestDeps {
  db: Knex
  jobs: JobQueue
  config: Config
}

const OPEN: DataRequestStatus[] = ['pending', 'processing']

/**
 * The keyed hash that names a caller on the request row (HMAC-SHA256 with the deployment's pepper),
 * so the row can be matched to a later request about the same caller without holding the number.
 */
export function callerSubjectHash(pepper: string, caller: CallerSubject): Buffer {
  const parts = [caller.phone && `tel:${caller.phone}`, caller.email && `mailto:${caller.email}`].filter(Boolean)
  return createHmac('sha256', pepper).update(`caller ${parts.join(' ')}`, 'utf8').digest()
}

const sealingContext = (requestId: string) => `data-request:${requestId}`

/** The caller a request is about, while it is open; the sealed value is bound to the request's id. */
export function openCallerSubject(keys: readonly SealingKey[], request: DataRequestRow): CallerSubject | null {
  if (!request.subject_ciphertext || !request.subject_key_id) return null
  const opened = JSON.parse(open(keys, { ciphertext: request.subject_ciphertext, kid: request.subject_key_id }, sealingContext(request.id))) as Partial<CallerSubject>
  return { phone: opened.phone ?? null, email: opened.email ?? null }
}

/**
 * Records a data-subject request and queues the job that serves it, in one transaction (the
 * caller's, when given one). A request like one still open (same subject and kind) is not
 * repeated: the open one is returned with `created: false`. Audited as `data_request.created`.
 */
export async function createDataRequest(deps: DataRequestDeps, input: NewDataRequest): Promise<{ request: DataRequestRow; created: boolean }> {
  const pepper = deps.config.auth.pepper
  if (input.subjectType === 'caller' && (!input.caller || (!input.caller.phone && !input.caller.email) || !input.businessId)) throw new Error('a caller request needs the business and the caller')
  if (input.subjectType === 'caller' && !pepper) throw new Error('AUTH_PEPPER is not resolved')
  const id = randomUUID()
  const sealed = input.caller ? seal(deps.config.connectors.keys, JSON.stringify(input.caller), sealingContext(id)) : null
  return deps.db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: DataRequestRow[] }>(
      `insert into data_requests (id, organization_id, business_id, subject_type, subject_user_id, subject_hash, kind, requested_by, subject_ciphertext, subject_key_id)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict do nothing
       returning *`,
      [id, input.organizationId ?? null, input.businessId ?? null, input.subjectType, input.subjectUserId ?? null, input.caller && pepper ? callerSubjectHash(pepper, input.caller) : null, input.kind, input.requestedBy, sealed?.ciphertext ?? null, sealed?.kid ?? null],
    )
    const request = rows[0]
    if (!request) return { request: await openRequestLike(trx, pepper, input), created: false }
    await recordAudit(trx, {
      action: 'data_request.created',
      actor: input.actor,
      organizationId: request.organization_id,
      businessId: request.business_id,
      target: { type: 'data_request', id: request.id },
      metadata: { kind: request.kind, subjectType: request.subject_type, ...(request.subject_user_id && { subjectUserId: request.subject_user_id }) },
    })
    await deps.jobs.enqueue('data-request', { requestId: request.id }, { trx, singletonKey: request.id })
    return { request, created: true }
  })
}

/** The open request that kept a new one from being inserted (the unique indexes on open requests). */
async function openRequestLike(trx: Knex.Transaction, pepper: string | null, input: NewDataRequest): Promise<DataRequestRow> {
  const query = trx('data_requests').where({ subject_type: input.subjectType, kind: input.kind }).whereIn('status', OPEN)
  if (input.subjectType === 'caller' && input.caller && pepper) query.where({ business_id: input.businessId, subject_hash: callerSubjectHash(pepper, input.caller) })
  else query.where({ subject_user_id: input.subjectUserId ?? null })
  const existing = await query.first()
  if (!existing) throw new Error('the data request was neither inserted nor found open')
  return existing
}
