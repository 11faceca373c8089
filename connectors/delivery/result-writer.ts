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
    await db.transaction(async (trx) => {
      await trx('delivery_attempts')
        .insert(rows.map((r) => ({ delivery_id: r.id, attempt: r.attempt, latency_ms: r.latencyMs, status_code: r.statusCode, outcome: r.verdict, error: r.error, response_excerpt: r.excerpt })))
        .onConflict(['delivery_id', 'attempt'])
        .ignore()
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
      const succeeded = [...new Set(batch.filter((_, i) => rows[i]?.verdict === 'delivered').map((r) => r.delivery.connector_id as string))]
      const failed = [...new Set(batch.filter((_, i) => rows[i]?.verdict !== 'delivered').map((r) => r.delivery.connector_id as string))].filter((id) => !succeeded.includes(id))
      if (succeeded.length) await trx('connectors').whereIn('id', succeeded).update({ last_delivered_at: trx.fn.now(), failing_since: null })
      if (failed.length) await trx('connectors').whereIn('id', failed).whereNull('failing_since').update({ failing_since: trx.fn.now() })
      // Credentials that no longer work stop new deliveries until someone reconnects.
      const unauthorized = batch.filter((r) => r.outcome instanceof ConnectorError && r.outcome.code === 'auth_expired').map((r) => r.delivery.connector_id as string)
      if (unauthorized.length) await trx('connectors').whereIn('id', unauthorized).where({ status: 'active' }).update({ status: 'error' })
    })
    for (const result of batch) {
      const connector = result.connector
      if (result.outcome instanceof ConnectorError && connector?.kind === 'webhook' && connector.failing_since && now - new Date(connector.failing_since).getTime() > DISABLE_AFTER_MS) {
        await disableFailingEndpoint(this.#deps, connector)
      }
    }
  }
}
