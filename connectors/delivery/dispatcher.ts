import type { FastifyBaseLogger } from 'fastify'
import { AppError, enforceRateLimits, type AppMetrics, type Knex, type Mailer, type SealingKey } from '../../core/index.ts'
import { ConnectorError, type DeliveryEvent, type DeliveryReceipt } from '../connector.ts'
import { connectorContext } from '../connector-store.ts'
import type { ConnectorRegistry } from '../registry.ts'
import { buildDeliveryEvents } from './event-payload.ts'
import { ResultWriter } from './result-writer.ts'

type Row = Record<string, any>

// A claimed delivery is leased this long; if its worker dies, it becomes due again afterwards.
const LEASE_SECONDS = 60
// Per attempt, whatever the connector does.
const ATTEMPT_TIMEOUT_MS = 30_000
// Idle polling; a full batch is followed at once by the next claim.
const IDLE_POLL_MS = 100
// The vendors' published API limits, per connected account (HubSpot: 100 requests per 10 s for
// apps; Salesforce: daily org limits, paced here at 25 requests a second). A delivery makes a few calls.
const VENDOR_LIMITS = {
  hubspot: { name: 'connector.hubspot', capacity: 30, perSeconds: 10 },
  salesforce: { name: 'connector.salesforce', capacity: 100, perSeconds: 10 },
} as const

export interface DispatcherDeps {
  db: Knex
  registry: ConnectorRegistry
  keys: readonly SealingKey[]
  mailer: Mailer
  publicBaseUrl: string
  concurrency: number
  log: FastifyBaseLogger
  /** Counts attempts by connector kind and outcome; optional for callers that run a dispatcher by hand. */
  metrics?: AppMetrics
}

/**
 * Delivers the outbox. Workers claim due deliveries with SKIP LOCKED (any number of worker
 * processes share the table), run each through its connector, and record the attempt. A delivery
 * waits for earlier pending deliveries of the same subject to the same connector, so a lead's
 * capture reaches a CRM before its updates. A crash mid-delivery leaves a lease that expires and
 * the delivery runs again; connectors are idempotent (search before create, stored external ids,
 * the webhook-id receivers deduplicate on), so each lead reaches each target once.
 */
export class DeliveryDispatcher {
  readonly #deps: DispatcherDeps
  #running = false
  #loop: Promise<void> | null = null
  readonly #inFlight = new Set<Promise<void>>()
  #busy = 0
  readonly #stopping = new AbortController()
  readonly #writer: ResultWriter

  constructor(deps: DispatcherDeps) {
    this.#deps = deps
    this.#writer = new ResultWriter(deps)
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#loop = this.#run()
  }

  /** Stops claiming and waits for deliveries in hand; the lease of any cut short lets another worker retry it. */
  async stop(): Promise<void> {
    this.#running = false
    this.#stopping.abort()
    await this.#loop
    await Promise.allSettled([...this.#inFlight])
    await this.#writer.flush()
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const free = this.#deps.concurrency - this.#busy
      let claimed: Row[] = []
      if (free > 0) {
        try {
          claimed = await this.claim(free)
          if (claimed.length) this.#track(this.#deliverBatch(claimed), claimed.length)
        } catch (error) {
          if (this.#running) this.#deps.log.error({ err: error }, 'claiming deliveries failed')
        }
      }
      if (claimed.length === free && free > 0) continue
      await Promise.race([new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS)), ...(free <= 0 ? [...this.#inFlight] : [])])
    }
  }

  /** Counts deliveries in hand (each is let go as it finishes), so at most `concurrency` run at once. */
  #track(work: Promise<void>, size: number): void {
    this.#busy += size
    const running = work
      .catch((error: unknown) => {
        this.#busy -= size
        this.#deps.log.error({ err: error }, 'a delivery batch failed; its leases will expire and it runs again')
      })
      .finally(() => this.#inFlight.delete(running))
    this.#inFlight.add(running)
  }

  /** Leases up to `limit` due deliveries, oldest due first. */
  async claim(limit: number): Promise<Row[]> {
    const { rows } = await this.#deps.db.raw(
      `update deliveries d set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS})
       where d.id in (
         select p.id from deliveries p
         where p.status = 'pending' and p.next_attempt_at <= now()
           -- A lead's updates wait for its capture to land (its CRM record id); calls have one event each.
           and (p.subject_type <> 'lead' or not exists (
             select 1 from deliveries e
             where e.connector_id = p.connector_id and e.subject_id = p.subject_id and e.status = 'pending'
               and (e.created_at, e.id) < (p.created_at, p.id)))
         order by p.next_attempt_at
         limit ?
         for update skip locked)
       returning d.*`,
      [limit],
    )
    return rows as Row[]
  }

  /** Reads what a batch needs in a few queries, then runs its deliveries side by side. */
  async #deliverBatch(batch: Row[]): Promise<void> {
    const { db, publicBaseUrl } = this.#deps
    const [connectors, events, previous] = await Promise.all([
      db('connectors').whereIn('id', [...new Set(batch.map((d) => d.connector_id))]),
      buildDeliveryEvents(db, batch, publicBaseUrl),
      previousExternalIds(db, batch),
    ])
    const connectorById = new Map(connectors.map((c: Row) => [c.id as string, c]))
    await Promise.all(
      batch.map((delivery) =>
        this.#attempt(delivery, connectorById.get(delivery.connector_id) ?? null, events.get(delivery.id) ?? null, previous.get(`${delivery.connector_id}:${delivery.subject_id}`) ?? null).finally(() => this.#busy--),
      ),
    )
  }

  async #attempt(delivery: Row, connectorRow: Row | null, event: DeliveryEvent | null, previousExternalId: string | null): Promise<void> {
    const { db, registry, keys } = this.#deps
    const started = Date.now()
    const finish = (outcome: DeliveryReceipt | ConnectorError) => {
      this.#observe(connectorRow?.kind ?? null, outcome)
      this.#writer.add({ delivery, connector: connectorRow, latencyMs: Date.now() - started, outcome })
    }
    if (!connectorRow || connectorRow.status !== 'active') return finish(new ConnectorError('rejected', `the connector is ${connectorRow?.status ?? 'gone'}`, { retryable: false }))
    if (!event) return finish(new ConnectorError('rejected', 'the call or lead no longer exists', { retryable: false }))
    try {
      const limit = VENDOR_LIMITS[connectorRow.kind as keyof typeof VENDOR_LIMITS]
      if (limit) await enforceRateLimits(db, [[limit, connectorRow.id]])
    } catch (error) {
      if (error instanceof AppError && error.code === 'RATE_LIMITED') return this.#postpone(delivery, Number(error.details?.retryAfterSeconds ?? 1) * 1000)
      throw error
    }
    const signal = AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)])
    try {
      const context = connectorContext(db, keys, connectorRow, { previousExternalId, signal })
      finish(await registry[connectorRow.kind as keyof ConnectorRegistry].deliver(event, context))
    } catch (error) {
      if (!(error instanceof ConnectorError)) this.#deps.log.warn({ err: error, deliveryId: delivery.id }, 'connector failed unexpectedly')
      finish(error instanceof ConnectorError ? error : new ConnectorError('unavailable', (error as Error).message ?? String(error), { cause: error }))
    }
  }

  #observe(kind: string | null, outcome: DeliveryReceipt | ConnectorError): void {
    const metrics = this.#deps.metrics
    if (!metrics) return
    metrics.delivery(kind ?? 'unknown', outcome instanceof ConnectorError ? outcome.code : 'delivered')
    if (outcome instanceof ConnectorError && (kind === 'hubspot' || kind === 'salesforce' || kind === 'webhook')) metrics.providerError(kind, outcome.code)
  }

  /** A vendor limit of ours says wait: try later without counting an attempt. */
  async #postpone(delivery: Row, waitMs: number): Promise<void> {
    await this.#deps.db('deliveries').where({ id: delivery.id }).update({ attempts: delivery.attempts - 1, next_attempt_at: new Date(Date.now() + waitMs) })
  }
}

/** For CRM connectors: the record an earlier delivery of the same subject landed on, per connector and subject. */
async function previousExternalIds(db: Knex, batch: Row[]): Promise<Map<string, string>> {
  const pairs = batch.filter((d) => d.subject_type === 'lead').map((d) => ({ connector_id: d.connector_id, subject_id: d.subject_id }))
  if (!pairs.length) return new Map()
  const { rows } = await db.raw(
    `select distinct on (d.connector_id, d.subject_id) d.connector_id, d.subject_id, d.external_id
     from deliveries d join jsonb_to_recordset(?::jsonb) as p(connector_id uuid, subject_id uuid) on p.connector_id = d.connector_id and p.subject_id = d.subject_id
     where d.status = 'delivered' and d.external_id is not null
     order by d.connector_id, d.subject_id, d.delivered_at desc`,
    [JSON.stringify(pairs)],
  )
  return new Map((rows as Row[]).map((r) => [`${r.connector_id}:${r.subject_id}`, r.external_id as string]))
}
