/** An exponential backoff: `baseMs` doubled per attempt, never above `maxMs`. */
export interface BackoffPolicy {
  baseMs: number
  maxMs: number
}

/**
 * The wait before retry `attempt` (0 for the first retry), with "equal jitter": half of the
 * exponential step is kept, the other half drawn at random. Without the random half, every
 * flight that failed in the same outage retries in the same millisecond, again and again, and
 * the recovering database meets them all at once; the kept half stops a retry from landing at
 * once after the failure. Shared by every retry loop of ours that waits on a recovering server
 * (intake's outcome writes, the producer seam's resends).
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt)
  return step / 2 + (random() * step) / 2
}
