import { PermanentError } from '@integration-ledger/core'

/** Default accepted clock difference between sender and us, in seconds (the providers' own default). */
export const DEFAULT_TOLERANCE_SECONDS = 300

const UNIX_SECONDS = /^\d{1,12}$/

/** Parses a unix-seconds header value; digits only, so "1e9", "-5" or " 12" are malformed. */
export function parseUnixSeconds(value: string): number | undefined {
  return UNIX_SECONDS.test(value) ? Number(value) : undefined
}

/**
 * Whether a signed timestamp is within `toleranceSeconds` of now, on BOTH sides: an old timestamp
 * is a replay, and one far in the future would stay replayable for longer than the window.
 */
export function isWithinTolerance(timestampSec: number, nowMs: number, toleranceSeconds: number): boolean {
  return Math.abs(nowMs - timestampSec * 1000) <= toleranceSeconds * 1000
}

/**
 * Validates a configured tolerance, applying the default.
 * @throws PermanentError CONFIG_INVALID when it is not a positive finite number.
 */
export function resolveTolerance(toleranceSeconds: number | undefined, kind: string): number {
  const value = toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (!Number.isFinite(value) || value <= 0) {
    throw new PermanentError(
      'CONFIG_INVALID',
      `toleranceSeconds for a ${kind} verifier must be a positive number of seconds`,
      {
        details: { kind, toleranceSeconds: value },
      },
    )
  }
  return value
}

/** Message for a rejected timestamp, shared so every kind explains it the same way. */
export function toleranceMessage(headerName: string, toleranceSeconds: number): string {
  return `The timestamp in ${headerName} is more than ${toleranceSeconds} s away from our clock (too old or in the future). Resend the event with a fresh signature and check the sender's clock; replayed deliveries are refused.`
}
