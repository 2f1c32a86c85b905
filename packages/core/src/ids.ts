import { createHash, randomUUID } from 'node:crypto'

/**
 * The ledger event ID for a provider event. It is a UUID-shaped hash of source and provider event
 * ID rather than a random value, so the same delivery received twice (by two ingest replicas, or
 * after a lost acknowledgement) carries the same ID everywhere and is recognised as a duplicate.
 */
export function eventIdFor(source: string, providerEventId: string): string {
  const hex = createHash('sha256').update(`${source}\u0000${providerEventId}`).digest('hex')
  // Version nibble 8 ("custom", RFC 9562) and the RFC variant bits, so it parses as a UUID.
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`
}

/** A fresh correlation ID for a request that did not bring one. */
export function newCorrelationId(): string {
  return randomUUID()
}

/**
 * What a correlation ID given by a caller may look like: UUIDs, W3C trace IDs, ULIDs and the
 * like, up to 128 characters of letters, digits and `.` `_` `:` `-`. It is copied into log lines,
 * Kafka headers, the ledger table and error messages, so nothing else (spaces, quotes, control
 * characters, megabytes) may come in with it.
 */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/

/** Whether a caller's value can be used as a correlation ID (see `CORRELATION_ID_PATTERN`). */
export function isCorrelationId(value: string): boolean {
  return CORRELATION_ID_PATTERN.test(value)
}
