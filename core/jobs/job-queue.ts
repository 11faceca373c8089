import { fromKnex, PgBoss, type Job } from 'pg-boss'
import type { Knex } from 'knex'
import type { FastifyBaseLogger } from 'fastify'
import { DEAD_LETTER_QUEUE, QUEUES, type JobData, type QueueDefinition, type QueueName } from './queues.ts'

// pg-boss keeps its tables in a schema of its own, beside ours.
export const JOBS_SCHEMA = 'pgboss'
const STATS_SECONDS = 5
// Dead letters wait for an admin this long before pg-boss drops them.
const DEAD_LETTER_RETENTION_SECONDS = 90 * 86_400

/** A job as a handler sees it: the attempt number lets a handler act on its last try. */
export interface JobRun<T> {
  id: string
  data: T
  retryCount: number
  retryLimit: number
  signal: AbortSignal
}

export interface EnqueueOptions {
  /** Enqueue inside this transaction: the job exists if and only if the transaction commits. */
  trx?: Knex.Transaction
  /** Seconds from now before the job may run. */
  startAfter?: number
  /** Collapses repeated requests for the same work under the queue's policy. */
  singletonKey?: string
}

export interface JobQueueOptions {
  connectionString: string
  /** Whether this process maintains the queue (expires lost jobs, applies retention) and runs schedules. */
  supervise: boolean
  poolMax: number
  expireSeconds: number
  pollSeconds: number
  concurrency: number
  log: FastifyBaseLogger
  /** The queues to create; the product's own by default. */
  queues?: Readonly<Record<string, QueueDefinition>>
}

/**
 * The durable job queue: pg-boss on our PostgreSQL. A job is enqueued in the transaction of the
 * write that causes it, retried with exponential backoff, dead-lettered after its retries, and
 * survives restarts: a job whose worker died stays active until `expireSeconds`, then is retried.
 * pg-boss claims jobs with SKIP LOCKED, so two workers never run the same job at once.
 */
export class JobQueue {
  readonly #boss: PgBoss
  readonly #options: JobQueueOptions
  #started = false
  #stopping = false
  #ready: Promise<void> | null = null

  constructor(options: JobQueueOptions) {
    this.#options = options
    this.#boss = new PgBoss({
      connectionString: options.connectionString,
      schema: JOBS_SCHEMA,
      max: options.poolMax,
      supervise: options.supervise,
      schedule: options.supervise,
      // The supervisor's pass finds lost jobs and refreshes the backlog counts that burst mode reads
      // (see work()). Its steps are indexed and claimed by one instance at a time, so running it
      // every few seconds is cheap, and a backlog starts draining within seconds.
      superviseIntervalSeconds: Math.min(STATS_SECONDS, Math.max(1, Math.floor(options.expireSeconds / 2))),
      monitorIntervalSeconds: STATS_SECONDS,
      queueCacheIntervalSeconds: STATS_SECONDS,
      application_name: 'answerline-jobs',
    })
    this.#boss.on('error', (error) => options.log.error({ err: error }, 'job queue error'))
    this.#boss.on('warning', (warning) => options.log.warn({ warning }, 'job queue warning'))
  }

  /**
   * Starts in the background, retrying until the database answers: an instance whose database is
   * down still boots and reports itself not ready, instead of crashing. Enqueueing and workers
   * wait for the start.
   */
  startInBackground(retryMs = 2_000): void {
    this.#ready ??= (async () => {
      while (!this.#stopping) {
        try {
          return await this.start()
        } catch (error) {
          this.#options.log.warn({ err: error }, 'job queue not started yet; retrying')
          await new Promise((resolve) => setTimeout(resolve, retryMs))
        }
      }
    })()
  }

  /** Installs or upgrades pg-boss's schema and creates every queue (both idempotent). */
  async start(): Promise<void> {
    await this.#boss.start()
    this.#started = true
    const existing = new Set((await this.#boss.getQueues()).map((q) => q.name))
    if (!existing.has(DEAD_LETTER_QUEUE)) await this.#boss.createQueue(DEAD_LETTER_QUEUE, { retentionSeconds: DEAD_LETTER_RETENTION_SECONDS })
    for (const [name, { policy, retryDelayMax, ...retries }] of Object.entries(this.#options.queues ?? QUEUES)) {
      const settings = { ...retries, retryBackoff: true, expireInSeconds: this.#options.expireSeconds, deadLetter: DEAD_LETTER_QUEUE }
      // Jobs take their queue's settings when enqueued, so an existing queue is brought up to this
      // process's configuration (JOBS_EXPIRE_SECONDS, retry policy): every role should agree on it.
      if (existing.has(name)) await this.#boss.updateQueue(name, { ...settings, retryDelayMax })
      else await this.#boss.createQueue(name, { ...settings, policy, retryDelayMax })
    }
  }

  /** Adds a job; returns its id, or null when the queue's policy collapsed it into one already waiting. */
  async enqueue<Q extends QueueName>(name: Q, data: JobData[Q], options: EnqueueOptions = {}): Promise<string | null> {
    await this.#ready
    return this.#boss.send(name, data, {
      // pg-boss runs its insert through the caller's transaction (its own knex adapter).
      ...(options.trx && { db: fromKnex(options.trx) }),
      ...(options.startAfter !== undefined && { startAfter: options.startAfter }),
      ...(options.singletonKey !== undefined && { singletonKey: options.singletonKey }),
    })
  }

  /**
   * Runs `handler` for each job of the queue, `concurrency` at a time in this process. A handler
   * that throws fails the attempt, which pg-boss retries with backoff until the queue's limit.
   */
  async work<Q extends QueueName>(name: Q, handler: (job: JobRun<JobData[Q]>) => Promise<void>): Promise<void> {
    await this.#ready
    if (this.#stopping) return
    await this.#boss.work<JobData[Q]>(
      name,
      {
        localConcurrency: this.#options.concurrency,
        pollingIntervalSeconds: this.#options.pollSeconds,
        // Each worker otherwise waits a poll interval after every job, capping a process at
        // concurrency / pollSeconds jobs a second; with a backlog it fetches back to back.
        burstWhenReadyExceeds: this.#options.concurrency,
        includeMetadata: true,
      },
      async ([job]) => {
        const run = job as Job<JobData[Q]> & { retryLimit: number }
        await handler({ id: run.id, data: run.data, retryCount: run.retryCount, retryLimit: run.retryLimit, signal: run.signal })
      },
    )
  }

  /** Runs `name` on a cron schedule (in UTC); only supervising processes fire schedules. */
  async schedule(name: QueueName, cron: string): Promise<void> {
    await this.#ready
    await this.#boss.schedule(name, cron, {})
  }

  /** Puts a failed or dead-lettered job back in line. */
  async retry(name: string, id: string): Promise<void> {
    await this.#ready
    await this.#boss.retry(name, id)
  }

  /** Stops taking jobs and waits (up to `timeoutMs`) for those in hand; unfinished ones are retried elsewhere after they expire. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true
    // A start in flight finishes (or gives up) first, so nothing is left running after stop.
    await this.#ready
    if (!this.#started) return
    this.#started = false
    await this.#boss.stop({ graceful: true, timeout: timeoutMs, close: true })
  }
}
