import type { QueuePolicy } from 'pg-boss'

/** A queue's retry policy. Failed jobs past `retryLimit` are copied to the dead-letter queue. */
export interface QueueDefinition {
  /**
   * 'stately' keeps at most one queued and one active job per singleton key (a call id, say), so
   * two workers never run the same piece of work at once and repeated requests collapse.
   */
  policy: QueuePolicy
  retryLimit: number
  /** Seconds before the first retry; doubled (with jitter) on each further one. */
  retryDelay: number
  retryDelayMax: number
}

/**
 * Every queue, with its retry policy: operational settings are kept in one place, and any process
 * (api or worker) may enqueue into any of them. Handlers are registered by the domains.
 */
export const QUEUES = {
  /** Structured lead from a finished call (gpt-4o-mini, or the deterministic fallback). */
  'lead-extract': { policy: 'stately', retryLimit: 6, retryDelay: 5, retryDelayMax: 600 },
  /** Periodic: leads made by the fallback extractor get another go once the model answers again. */
  'lead-reextract-sweep': { policy: 'singleton', retryLimit: 1, retryDelay: 60, retryDelayMax: 60 },
  /** A verified Stripe webhook event, applied from the object's current state at Stripe. */
  'stripe-event': { policy: 'stately', retryLimit: 10, retryDelay: 10, retryDelayMax: 3600 },
  /** Periodic: accounts whose balance fell below their auto top-up threshold get a purchase queued. */
  'auto-topup-sweep': { policy: 'singleton', retryLimit: 1, retryDelay: 30, retryDelayMax: 30 },
  /** Periodic: free accounts whose 30-day period is over get their included minutes renewed. */
  'free-allowance-sweep': { policy: 'singleton', retryLimit: 1, retryDelay: 60, retryDelayMax: 60 },
  /** Daily (and on demand): calls past their business's retention, with everything about them, are removed. */
  'retention-sweep': { policy: 'singleton', retryLimit: 3, retryDelay: 300, retryDelayMax: 3600 },
  /** Buys one account's top-up pack with its saved payment method. */
  'auto-topup': { policy: 'stately', retryLimit: 5, retryDelay: 30, retryDelayMax: 1800 },
  /** Hourly: closed organizations past their 30 days are purged, keeping their billing records; resumes where a run stopped. */
  'organization-purge-sweep': { policy: 'singleton', retryLimit: 2, retryDelay: 300, retryDelayMax: 1800 },
  /** A closed (or reopened) organization's Stripe subscriptions set to end at period end (or to renew again). */
  'organization-subscriptions': { policy: 'stately', retryLimit: 10, retryDelay: 30, retryDelayMax: 3600 },
  /** Serves one data-subject request (a caller's or a user's export or erasure); retried until it completes or is marked failed. */
  'data-request': { policy: 'stately', retryLimit: 5, retryDelay: 30, retryDelayMax: 1800 },
  /** Emails every active user about a newly published policy version, in batches; resumes where it stopped. */
  'policy-notice': { policy: 'stately', retryLimit: 8, retryDelay: 60, retryDelayMax: 3600 },
} as const satisfies Record<string, QueueDefinition>

export type QueueName = keyof typeof QUEUES

/** What each queue's jobs carry: ids only, never personal data (job rows outlive erasure requests). */
export interface JobData {
  'lead-extract': { callId: string }
  'lead-reextract-sweep': Record<string, never>
  'stripe-event': { eventId: string }
  'auto-topup-sweep': Record<string, never>
  'free-allowance-sweep': Record<string, never>
  'retention-sweep': Record<string, never>
  'auto-topup': { billingAccountId: string }
  'organization-purge-sweep': Record<string, never>
  'organization-subscriptions': { organizationId: string }
  'data-request': { requestId: string }
  'policy-notice': { policyVersionId: string }
}

/** Periodic sweeps, which carry no data: operators may also run one at any time (runSweep). */
export const SWEEP_QUEUES = ['lead-reextract-sweep', 'auto-topup-sweep', 'free-allowance-sweep', 'retention-sweep', 'organization-purge-sweep'] as const satisfies ReadonlyArray<{ [Q in QueueName]: JobData[Q] extends Record<string, never> ? Q : never }[QueueName]>
export type SweepQueue = (typeof SWEEP_QUEUES)[number]

/** Where jobs go when they have used up their retries; admins see and replay them from here. */
export const DEAD_LETTER_QUEUE = 'dead-letter'
