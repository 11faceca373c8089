
import { AppError } from '../../core/index.ts'
export interface CostReport {
  requested: number
  /** Most one query may cost. */
  maximum: number
  /** Points left in the caller's bucket after this query. */
  remaining: number
  /** Bucket size, and the points it regains per second. */
  capacity: number
  restoreRate: number
}

interface Bucket {
  level: number
  updatedAt: number
}

/**
 * A leaky bucket of query cost per credential: bursts up to `capacity`, then `restoreRate` points
 * per second. Kept in this process's memory: with several api instances each holds its own
 * buckets, so the effective budget scales with the instance count.
 */
export class CostBudget {
  readonly #buckets = new Map<string, Bucket>()
  readonly maximum: number
  readonly capacity: number
  readonly restoreRate: number
  readonly #maxTracked: number

  constructor(options: { maximum: number; capacity: number; restoreRate: number; maxTracked?: number }) {
    this.maximum = options.maximum
    this.capacity = options.capacity
    this.restoreRate = options.restoreRate
    this.#maxTracked = options.maxTracked ?? 50_000
  }

  /** Charges `cost` to `credential`, or throws (BAD_USER_INPUT over the per-query maximum, RATE_LIMITED over budget). */
  charge(credential: string, cost: number, now = Date.now()): CostReport {
    if (cost > this.maximum) {
      throw new AppError('BAD_USER_INPUT', `The query would cost ${cost} points; the most one query may cost is ${this.maximum}. Ask for smaller pages.`, { cost, maximum: this.maximum })
    }
    const bucket = this.#buckets.get(credential) ?? { level: 0, updatedAt: now }
    bucket.level = Math.max(0, bucket.level - ((now - bucket.updatedAt) / 1000) * this.restoreRate)
    bucket.updatedAt = now
    if (bucket.level + cost > this.capacity) {
      const retryAfterSeconds = Math.ceil((bucket.level + cost - this.capacity) / this.restoreRate)
      throw new AppError('RATE_LIMITED', `Query budget exhausted; try again in ${retryAfterSeconds} seconds`, { cost, remaining: Math.floor(this.capacity - bucket.level), retryAfterSeconds })
    }
    bucket.level += cost
    // Map order is insertion order: re-inserting marks the bucket recently used, and the oldest goes first.
    this.#buckets.delete(credential)
    this.#buckets.set(credential, bucket)
    if (this.#buckets.size > this.#maxTracked) this.#buckets.delete(this.#buckets.keys().next().value as string)
    return { requested: cost, maximum: this.maximum, remaining: Math.floor(this.capacity - bucket.level), capacity: this.capacity, restoreRate: this.restoreRate }
  }
}
