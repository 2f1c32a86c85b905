/**
 * Where an entity field comes from. `/a/b` is a JSON pointer into the body (RFC 6901),
 * `header:Name` reads a request header, and anything else is a literal value.
 */
export type ValueSpec = string

/** What ingest needs from a delivery to build a ledger event. */
export interface Delivery {
  providerEventId: string
  type: string
  entityType: string
  entityId: string
  entityVersion: number
  occurredAtMs: number
}

/**
 * Why a correctly signed delivery cannot be used; the caller quarantines it. `unstorable_json`:
 * valid JSON that PostgreSQL jsonb cannot hold (see `parseStorableJson` in @integration-ledger/core).
 */
export type ExtractFailureReason = 'invalid_json' | 'unstorable_json' | 'validation_failed' | 'missing_entity'

/** Outcome of extraction. Never thrown: a bad payload is data to quarantine, not a crash. */
export type ExtractResult =
  { ok: true; delivery: Delivery } | { ok: false; reason: ExtractFailureReason; message: string }
