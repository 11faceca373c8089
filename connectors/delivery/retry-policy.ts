/** Deliveries are retried for about three days; then they fail for good. */
export const GIVE_UP_AFTER_MS = 3 * 86_400_000
/** A webhook endpoint failing without a single success for this long is disabled and its owner told. */
export const DISABLE_AFTER_MS = 3 * 86_400_000
const FIRST_DELAY_MS = 5_000
const MAX_DELAY_MS = 6 * 3600_000

/**
 * When to try again after `attempts` failed attempts: exponential backoff (5 s, 10 s, 20 s ...,
 * at most 6 hours) with full jitter, so a receiver coming back up is not hit by every delivery at
 * once; a Retry-After from the target is a floor. About 20 attempts fit in three days.
 */
export function nextAttemptDelayMs(attempts: number, retryAfterMs: number | null, random = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, attempts - 1))
  const jittered = ceiling / 2 + (random() * ceiling) / 2
  return Math.max(jittered, retryAfterMs ?? 0)
}
