import { timingSafeEqual } from 'node:crypto'

/**
 * Most signatures accepted in one header. Real senders put one per active secret (two during a
 * rotation); the cap bounds the work an unauthenticated request can cause.
 */
export const MAX_SIGNATURES = 16

/**
 * Constant-time equality for two buffers. When the lengths differ it still performs a comparison
 * of the same size, so the time spent does not depend on where the inputs differ.
 */
export function safeEqual(expected: Buffer, candidate: Buffer): boolean {
  if (expected.length !== candidate.length) {
    timingSafeEqual(expected, expected)
    return false
  }
  return timingSafeEqual(expected, candidate)
}

/**
 * Compares every candidate signature against the expected signature of every secret, without
 * stopping at the first match, so response time does not reveal which secret or which candidate
 * matched. Returns the lowest matching secret index, or -1.
 */
export function findMatchingSecret(
  expectedPerSecret: readonly Buffer[],
  candidates: readonly Buffer[],
): number {
  let matched = -1
  for (let secretIndex = 0; secretIndex < expectedPerSecret.length; secretIndex++) {
    const expected = expectedPerSecret[secretIndex] as Buffer
    let hit = false
    for (const candidate of candidates) {
      // Bitwise OR, not `||`: every comparison runs even after a hit.
      hit = (Number(hit) | Number(safeEqual(expected, candidate))) === 1
    }
    if (hit && matched === -1) matched = secretIndex
  }
  return matched
}
