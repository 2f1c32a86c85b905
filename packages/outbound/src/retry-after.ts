/**
 * Reads `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP date. Returns the wait
 * in milliseconds from `nowMs` (never negative), or `undefined` when the header is absent or
 * unreadable — an unreadable header must not be taken as "retry at once".
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  // Only the date forms: Date.parse also reads things like "5" or "2026", which are not dates here.
  if (!/[a-z]/i.test(trimmed)) return undefined
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - nowMs)
}
