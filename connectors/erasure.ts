import { isUuid, type Config, type Knex, type SealingKey } from '../core/index.ts'
import { ConnectorError, type ConnectorKind, type ErasedRecord, type ErasureRequest, type RecordErasure } from './connector.ts'
import { connectorContext } from './connector-store.ts'
import { createConnectorRegistry, type ConnectorRegistry } from './registry.ts'

type Row = Record<string, any>

// For all of one connector's requests; a caller's records take a few dozen at most.
const ERASE_TIMEOUT_MS = 60_000
// What a connector's deliveries landed on, when it could not be asked what it removed.
const PRIMARY_RECORD: Record<ConnectorKind, ErasedRecord> = { hubspot: 'contact', salesforce: 'lead', webhook: 'notice' }
const TARGET: Record<ConnectorKind, string> = { hubspot: 'HubSpot', salesforce: 'Salesforce', webhook: 'The webhook endpoint' }

/** What erasing through connectors needs; build it once with createErasureDeps. */
export interface ErasureDeps {
  db: Knex
  registry: ConnectorRegistry
  keys: readonly SealingKey[]
  /** The budget for all of one connector's requests (default 60 s). */
  timeoutMs?: number
}

/** Erasure deps from the app's database and configuration, as the delivery worker builds its own. */
export function createErasureDeps(db: Knex, config: Config): ErasureDeps {
  return { db, registry: createConnectorRegistry(config), keys: config.connectors.keys }
}

/** A delivery of an erased call or lead, as the delivery log has it. */
export interface DeliveredRecord {
  deliveryId: string
  connectorId: string
  externalId: string | null
  subjectType: 'call' | 'lead'
  subjectId: string
}

/** One record in a connected system and what became of it; ids and fixed phrases only, fit for the request's record. */
export interface ConnectorErasure {
  connectorId: string
  /** Null when the connector has been deleted. */
  connectorName: string | null
  kind: ConnectorKind | null
  record: ErasedRecord | null
  externalId: string | null
  outcome: 'erased' | 'not_supported' | 'failed'
  /** Why it was not erased. */
  error?: string
  /** For failures: true when trying again later may work (rate limit, outage), false when a person must act first. */
  retryable?: boolean
  note?: string
}

/**
 * Erases, through each connector, what deliveries of a caller's calls and leads left there: the
 * CRM records and the calls logged on them, or a signed caller.erased notice to a webhook. Call it
 * before the deliveries themselves are removed (it reads which call each delivered lead came from)
 * and outside a transaction (it waits on the network). One connector's failure never stops the
 * others and never throws: it comes back as outcome failed, to try again later.
 */
export async function eraseDeliveredRecords(deps: ErasureDeps, input: { businessId: string; requestId: string; deliveries: DeliveredRecord[] }): Promise<ConnectorErasure[]> {
  const byConnector = new Map<string, DeliveredRecord[]>()
  for (const delivery of input.deliveries) byConnector.set(delivery.connectorId, [...(byConnector.get(delivery.connectorId) ?? []), delivery])
  if (byConnector.size === 0) return []
  const [connectors, callOfLead] = await Promise.all([
    deps.db('connectors').where({ business_id: input.businessId }).whereIn('id', [...byConnector.keys()].filter(isUuid)),
    callsOfLeads(deps.db, input.businessId, input.deliveries),
  ])
  const rowById = new Map<string, Row>(connectors.map((row: Row) => [row.id as string, row]))
  const erasures = [...byConnector].map(([connectorId, deliveries]) => {
    const unique = (ids: Array<string | null | undefined>) => [...new Set(ids.filter((id): id is string => !!id))]
    const request: ErasureRequest = {
      requestId: input.requestId,
      externalIds: unique(deliveries.map((d) => d.externalId)),
      callIds: unique(deliveries.map((d) => (d.subjectType === 'call' ? d.subjectId : callOfLead.get(d.subjectId)))),
      leadIds: unique(deliveries.map((d) => (d.subjectType === 'lead' ? d.subjectId : null))),
    }
    const delivered = [...new Set(deliveries.map((d) => d.externalId))]
    return eraseThrough(deps, connectorId, rowById.get(connectorId) ?? null, request, delivered)
  })
  return (await Promise.all(erasures)).flat()
}

/** The call each delivered lead came from: in the lead.captured delivery's payload, or on the lead while it exists. */
async function callsOfLeads(db: Knex, businessId: string, deliveries: DeliveredRecord[]): Promise<Map<string, string>> {
  const ofLeads = deliveries.filter((d) => d.subjectType === 'lead' && isUuid(d.subjectId))
  if (ofLeads.length === 0) return new Map()
  const [fromPayloads, fromLeads] = await Promise.all([
    db('deliveries').where({ business_id: businessId }).whereIn('id', ofLeads.map((d) => d.deliveryId).filter(isUuid)).whereRaw("payload->>'callId' is not null").select('subject_id as lead_id', db.raw("payload->>'callId' as call_id")),
    db('leads').where({ business_id: businessId }).whereIn('id', ofLeads.map((d) => d.subjectId)).whereNotNull('call_id').select('id as lead_id', 'call_id'),
  ])
  return new Map([...fromPayloads, ...fromLeads].map((row: Row) => [row.lead_id as string, row.call_id as string]))
}

/**
 * Asks one connector, and answers for every record id its deliveries hold (`delivered`, null for
 * deliveries that wrote nothing or went to a webhook), plus the logged calls it removed.
 */
async function eraseThrough(deps: ErasureDeps, connectorId: string, row: Row | null, request: ErasureRequest, delivered: Array<string | null>): Promise<ConnectorErasure[]> {
  const kind = (row?.kind ?? null) as ConnectorKind | null
  const base = { connectorId, connectorName: (row?.name ?? null) as string | null, kind }
  const untried = (outcome: 'not_supported' | 'failed', error: string, retryable?: boolean): ConnectorErasure[] =>
    delivered.map((externalId) => ({ ...base, record: kind && PRIMARY_RECORD[kind], externalId, outcome, error, ...(retryable === undefined ? {} : { retryable }) }))
  if (!row || !kind) return untried('not_supported', 'the connector has been deleted; remove the records in that system by hand')
  if (row.status === 'disabled') return untried('not_supported', 'the connector is disabled; remove the records in that system by hand')
  const connector = deps.registry[kind]
  if (!connector.erase) return untried('not_supported', `${TARGET[kind]} offers no way to erase`)
  // A delivery to a CRM without a record id wrote nothing (a call from a withheld number, say).
  const nothingWritten = (): ConnectorErasure => ({ ...base, record: PRIMARY_RECORD[kind], externalId: null, outcome: 'erased', note: `no record had been written in ${TARGET[kind]}` })
  if (kind !== 'webhook' && request.externalIds.length === 0 && request.callIds.length === 0) return [nothingWritten()]
  try {
    const ctx = connectorContext(deps.db, deps.keys, row, { previousExternalId: null, signal: AbortSignal.timeout(deps.timeoutMs ?? ERASE_TIMEOUT_MS) })
    const results = (await connector.erase(request, ctx)).map((result) => outcomeOf(base, kind, result))
    const answersNull = results.some((result) => result.externalId === null)
    return delivered.includes(null) && !answersNull ? [...results, nothingWritten()] : results
  } catch (error) {
    if (error instanceof ConnectorError) return untried('failed', describeFailure(kind, error), error.retryable)
    // Not the vendor's answer (a bug, credentials that no longer open): its message may hold anything.
    return untried('failed', `the erasure failed unexpectedly (${error instanceof Error ? error.name : 'unknown'})`, true)
  }
}

function outcomeOf(base: Pick<ConnectorErasure, 'connectorId' | 'connectorName' | 'kind'>, kind: ConnectorKind, result: RecordErasure): ConnectorErasure {
  const line = { ...base, record: result.record, externalId: result.externalId, ...(result.note ? { note: result.note } : {}) }
  return result.error ? { ...line, outcome: 'failed', error: describeFailure(kind, result.error), retryable: result.error.retryable } : { ...line, outcome: 'erased' }
}

/**
 * A short reason built from the failure's code and status only: vendors' messages can echo the
 * record's fields (an email, a phone), and this outlives the erasure.
 */
function describeFailure(kind: ConnectorKind, error: ConnectorError): string {
  const target = TARGET[kind]
  const status = error.statusCode ? ` (HTTP ${error.statusCode})` : ''
  switch (error.code) {
    case 'rate_limited':
      return `${target} is limiting requests${status}; try again later`
    case 'unavailable':
      return error.statusCode ? `${target} failed${status}; try again later` : `${target} did not answer in time; try again later`
    case 'auth_expired':
      return `${target} refused the stored credentials; reconnect it, then try again`
    case 'rejected':
      return `${target} refused the deletion${status}`
  }
}
