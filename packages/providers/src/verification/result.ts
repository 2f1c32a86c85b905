import type { RejectReason, VerifyResult } from './types.js'

/** Builds a rejection; kept in one place so every verifier produces the same shape. */
export function reject(reason: RejectReason, message: string): VerifyResult {
  return { ok: false, reason, message }
}
