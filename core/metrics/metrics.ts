import type { Knex } from 'knex'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { jobQueueStats } from '../jobs/queue-stats.ts'

/** External services whose failures are counted; a closed list keeps the label's cardinality fixed. */
export type Provider = 'openai_realtime' | 'openai_extraction' | 'twilio' | 'stripe' | 'hubspot' | 'salesforce' | 'webhook' | 's3' | 'resend'

/** What happened to a call: the gate answered it (with how), refused it (with why), or it ended. */
export type CallEvent = 'started' | 'refused' | 'completed'

// Relaying a frame is a parse and a socket write: tens of microseconds normally, milliseconds when
// the event loop is starved, which is what these buckets are for.
const RELAY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1]
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
// Label values chosen by code (error codes, outcomes) are short snake_case words; anything else is folded.
const LABEL_WORD = /^[a-z][a-z0-9_]{0,39}$/

/** A label value that cannot carry an id or free text: known words pass, anything else becomes "other". */
export function labelWord(value: string | null | undefined): string {
  return value && LABEL_WORD.test(value) ? value : 'other'
}

/**
 * The Prometheus metrics of one app instance, on a registry of its own (not prom-client's global
 * one), so several apps in one process (tests, `all`) never collide. Labels are closed sets or
 * route patterns: never business, call or phone identifiers.
 */
export class AppMetrics {
  readonly registry = new Registry()
  readonly #http: Histogram<'route' | 'method' | 'status_class'>
  readonly #calls: Counter<'event' | 'outcome'>
  readonly #providerErrors: Counter<'provider' | 'kind'>
  readonly #deliveries: Counter<'connector' | 'outcome'>
  readonly #queueJobs: Gauge<'queue' | 'state'>
  readonly #queueAge: Gauge<'queue'>
  #liveStreams: () => number = () => 0
  /** Per-frame relay time inside the worker, bound to their label once so the hot path allocates nothing. */
  readonly relay: { callerToModel: Histogram.Internal<'direction'>; modelToCaller: Histogram.Internal<'direction'> }

  constructor() {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'answerline_' })
    this.#http = new Histogram({ name: 'answerline_http_request_duration_seconds', help: 'HTTP request latency by route pattern, method and status class', labelNames: ['route', 'method', 'status_class'], buckets: HTTP_BUCKETS, registers })
    this.#calls = new Counter({ name: 'answerline_calls_total', help: 'Calls by event (started, refused, completed) and outcome', labelNames: ['event', 'outcome'], registers })
    const streams = () => this.#liveStreams()
    new Gauge({
      name: 'answerline_media_streams_live',
      help: 'Media streams (live calls) open on this worker',
      registers,
      collect() {
        this.set(streams())
      },
    })
    const relay = new Histogram({ name: 'answerline_relay_latency_seconds', help: 'Time from an audio frame arriving on one socket to its being written to the other', labelNames: ['direction'], buckets: RELAY_BUCKETS, registers })
    this.relay = { callerToModel: relay.labels('caller_to_model'), modelToCaller: relay.labels('model_to_caller') }
    this.#providerErrors = new Counter({ name: 'answerline_provider_errors_total', help: 'Errors from models and external providers by provider and kind', labelNames: ['provider', 'kind'], registers })
    this.#deliveries = new Counter({ name: 'answerline_deliveries_total', help: 'Connector delivery attempts by connector kind and outcome', labelNames: ['connector', 'outcome'], registers })
    this.#queueJobs = new Gauge({ name: 'answerline_job_queue_jobs', help: 'Jobs per queue and state (queued, active, failed), read at scrape time', labelNames: ['queue', 'state'], registers })
    this.#queueAge = new Gauge({ name: 'answerline_job_queue_oldest_age_seconds', help: 'Age of the oldest queued job per queue (0 when none waits), read at scrape time', labelNames: ['queue'], registers })
  }

  /** Records one HTTP request; `route` is the matched pattern (never the raw URL), null when nothing matched. */
  observeRequest(route: string | null | undefined, method: string, statusCode: number, seconds: number): void {
    this.#http.observe({ route: route ?? 'unmatched', method: HTTP_METHODS.has(method) ? method : 'other', status_class: `${Math.floor(statusCode / 100)}xx` }, seconds)
  }

  /** The media worker tells where its open streams are counted; the gauge reads it at scrape time. */
  countLiveStreams(count: () => number): void {
    this.#liveStreams = count
  }

  call(event: CallEvent, outcome: string): void {
    this.#calls.inc({ event, outcome: labelWord(outcome) })
  }

  providerError(provider: Provider, kind: string): void {
    this.#providerErrors.inc({ provider, kind: labelWord(kind) })
  }

  delivery(connector: string, outcome: string): void {
    this.#deliveries.inc({ connector: labelWord(connector), outcome: labelWord(outcome) })
  }

  /** Reads the job queues' backlog from pg-boss's tables (the same figures operators see in GraphQL). */
  async refreshJobQueues(db: Knex, now = Date.now()): Promise<void> {
    const stats = await jobQueueStats(db)
    this.#queueJobs.reset()
    this.#queueAge.reset()
    for (const queue of stats) {
      // Queue names are ours (core/jobs/queues.ts), a fixed set.
      this.#queueJobs.set({ queue: queue.name, state: 'queued' }, queue.queued)
      this.#queueJobs.set({ queue: queue.name, state: 'active' }, queue.active)
      this.#queueJobs.set({ queue: queue.name, state: 'failed' }, queue.failed)
      this.#queueAge.set({ queue: queue.name }, queue.oldestQueuedAt ? Math.max(0, (now - new Date(queue.oldestQueuedAt).getTime()) / 1000) : 0)
    }
  }
}
