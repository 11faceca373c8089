import type { FastifyBaseLogger } from 'fastify'
import type { Knex, Mailer } from '../../core/index.ts'
import { ConnectorError, type DeliveryReceipt } from '../connector.ts'
import { disableFailingEndpoint } from './failing-endpoints.ts'
import { DISABLE_AFTER_MS, GIVE_UP_AFTER_MS, nextAttemptDelayMs } from './retry-policy.ts'

type Row = Record<string, any>

export interface AttemptResult {
  delivery: Row
  connector: Row | null
  latencyMs: number
  outcome: DeliveryReceipt | ConnectorError
}

// Results are written together: one transaction per flush instead of one per delivery.
const FLUSH_EVERY_MS = 10
const FLUSH_AT = 100

/**
 * Records attempts and their verdicts in batches: the attempt log, the delivery's new state
 * (delivered, retry at a backoff, failed for good), and the connector's health. Until a batch is
 * written its deliveries stay leased; a crash before the write means they run again, which
 * connectors and receivers tolerate (idempotent targets, webhook-id).
 */
export class ResultWriter {
  readonly #deps: { db: Knex; mailer: Mailer; log: FastifyBaseLogger }
  #buffer: AttemptResult[] = []
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> = Promise.resolve()

  constructor(deps: { db: Knex; mailer: Mailer; log: FastifyBaseLogger }) {
    this.#deps = deps
  }

  add(result: AttemptResult): void {
    this.#buffer.push(result)
    if (this.#buffer.length >= FLUSH_AT) void this.flush()
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS)
  }

  /** Writes what is buffered; resolves once everything added before the call is written. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const batch = this.#buffer
    this.#buffer = []
    this.#flushing = this.#flushing.then(() => (batch.length ? this.#write(batch) : undefined)).catch((error: unknown) => {
      // Kept for the next flush: the leases hold the deliveries meanwhile.
      this.#deps.log.error({ err: error }, 'delivery results not written; retrying')
      this.#buffer.unshift(...batch)
      this.#timer ??= setTimeout(() => void this.flush(), 1_000)
    })
    return this.#flushing
  }

  async #write(batch: AttemptResult[]): Promise<void> {
    const { db } = this.#deps
    const now = Date.now()
    const rows = batch.map(({ delivery, outcome, latencyMs }) => {
      const failure = outcome instanceof ConnectorError ? outcome : null
      const expired = now - new Date(delivery.created_at).getTime() > GIVE_UP_AFTER_MS
      const verdict = !failure ? 'delivered' : failure.retryable && !expired ? 'retry' : 'failed'
      const receipt = failure ? null : (outcome as DeliveryReceipt)
      return {
        id: delivery.id as string,
        attempt: delivery.attempts as number,
        verdict,
        latencyMs,
        statusCode: (failure ? failure.statusCode : receipt?.statusCode) ?? null,
        error: failure?.message.slice(0, 2000) ?? null,
        excerpt: (failure ? failure.responseExcerpt : receipt?.responseExcerpt)?.slice(0, 2000) ?? null,
        externalId: receipt?.externalId ?? null,
        matchRule: receipt?.matchRule ?? null,
        nextAttemptAt: verdict === 'retry' ? new Date(now + nextAttemptDelayMs(delivery.attempts, (failure as ConnectorError).retryAfterMs)) : null,
      }
    })
    // Per connector: delivered anything (healthy), or only failures; credentials rejected.
    const health = new Map<string, { id: string; ok: boolean; unauthorized: boolean }>()
    batch.forEach((result, i) => {
      const id = result.delivery.connector_id as string
      const entry = health.get(id) ?? { id, ok: false, unauthorized: false }
      entry.ok ||= rows[i]?.verdict === 'delivered'
      entry.unauthorized ||= result.outcome instanceof ConnectorError && result.outcome.code === 'auth_expired'
      health.set(id, entry)
    })
    // Locks are taken in the order removing a connector takes them (connector, its deliveries, their
    // attempts), each in a single statement, so writers and deletions never deadlock.
    await db.transaction(async (trx) => {
      await trx.raw(
        `update connectors c set
           last_delivered_at = case when v.ok then now() else c.last_delivered_at end,
           failing_since = case when v.ok then null else coalesce(c.failing_since, now()) end,
           -- Credentials that no longer work stop new deliveries until someone reconnects.
           status = case when v.unauthorized and c.status = 'active' then 'error' else c.status end
         from jsonb_to_recordset(?::jsonb) as v(id uuid, ok boolean, unauthorized boolean)
         where c.id = v.id`,
        [JSON.stringify([...health.values()])],
      )
      await trx.raw(
        `update deliveries d set
           status = case v.verdict when 'delivered' then 'delivered' when 'failed' then 'failed' else 'pending' end,
           delivered_at = case when v.verdict = 'delivered' then now() end,
           next_attempt_at = v.next_attempt_at,
           external_id = coalesce(v.external_id, d.external_id),
           match_rule = coalesce(v.match_rule, d.match_rule),
           last_error = v.error
         from jsonb_to_recordset(?::jsonb) as v(id uuid, verdict text, next_attempt_at timestamptz, external_id text, match_rule text, error text)
         where d.id = v.id`,
        [JSON.stringify(rows.map((r) => ({ id: r.id, verdict: r.verdict, next_attempt_at: r.nextAttemptAt, external_id: r.externalId, match_rule: r.matchRule, error: r.error })))],
      )
      // Attempts of deliveries removed meanwhile (their connector was deleted) are dropped.
      await trx.raw(
        `insert into delivery_attempts (delivery_id, attempt, latency_ms, status_code, outcome, error, response_excerpt)
         select v.delivery_id, v.attempt, v.latency_ms, v.status_code, v.outcome, v.error, v.response_excerpt
         from jsonb_to_recordset(?::jsonb) as v(delivery_id uuid, attempt int, latency_ms int, status_code int, outcome text, error text, response_excerpt text)
         where exists (select 1 from deliveries d where d.id = v.delivery_id)
         on conflict (delivery_id, attempt) do nothing`,
        [JSON.stringify(rows.map((r) => ({ delivery_id: r.id, attempt: r.attempt, latency_ms: r.latencyMs, status_code: r.statusCode, outcome: r.verdict, error: r.error, response_excerpt: r.excerpt })))],
      )
    })
    for (const result of batch) {
      const connector = result.connector
      if (result.outcome instanceof ConnectorError && connector?.kind === 'webhook' && connector.failing_since && now - new Date(connector.failing_since).getTime() > DISABLE_AFTER_MS) {
        await disableFailingEndpoint(this.#deps, connector)
      }
    }
  }
}
