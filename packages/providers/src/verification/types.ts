/** Why a delivery was refused. Callers branch on this (and map it to HTTP 401/400), never on the message. */
export type RejectReason =
  'missing_header' | 'malformed_header' | 'bad_signature' | 'timestamp_outside_tolerance'

/**
 * Outcome of a verification. On success `secretIndex` says which configured secret matched (so a
 * rotation can be finished once the old one stops matching) and `timestampMs` carries the signed
 * timestamp for kinds that sign one. On failure `message` is safe to send in the HTTP body: it says
 * what was wrong and what to do, and never reveals secrets or expected signatures.
 */
export type VerifyResult =
  | { ok: true; secretIndex: number; timestampMs?: number }
  | { ok: false; reason: RejectReason; message: string }

/** Request headers as node gives them: lower-cased names; arrays only for repeated headers. */
export type RequestHeaders = Record<string, string | string[] | undefined>

/** Everything a verifier needs. It does no I/O and reads the clock only through `nowMs`. */
export interface VerifyInput {
  /** The request body exactly as received; signatures are over these bytes, not re-serialised JSON. */
  rawBody: Buffer
  headers: RequestHeaders
  /** Accepted secrets, in configured order; several during a rotation. Must not be empty. */
  secrets: readonly string[]
  nowMs: number
}

/** Checks that a delivery was signed by the sender. */
export interface Verifier {
  verify(input: VerifyInput): VerifyResult
}
