import type { LedgerEvent } from '@integration-ledger/core'
import type { SourceConfig } from './registry.js'
import { verifierForSource } from './source-verifier.js'
import type { RejectReason, VerifyResult } from './verification/types.js'

type StoredDelivery = Pick<LedgerEvent, 'rawBody' | 'headers' | 'receivedAt'>

/**
 * Checks a ledger event's signature again from what the ledger kept (byte-exact body and the
 * source's headers), as ingest did on arrival: at the event's receipt time, so a timestamp that
 * was within tolerance then still is. Use it to audit the ledger; `auditEventSignature` tells
 * every secret that signed it.
 */
export function reverifyEvent(event: StoredDelivery, source: SourceConfig): VerifyResult {
  return verifierForSource(source).verify({
    rawBody: event.rawBody,
    headers: event.headers,
    secrets: source.secrets,
    nowMs: event.receivedAt.getTime(),
  })
}

/** Every secret that signed a stored delivery, and its signed timestamp judged at a given time. */
export interface SignatureAudit {
  /**
   * Indexes into `source.secrets` of each secret the delivery carries a valid signature of. A
   * sender signs with several during a rotation (Stripe and Standard Webhooks put one signature
   * per secret in the header), so after a leak the events to distrust are those signed by the
   * leaked secret alone.
   */
  signedBy: number[]
  /** Why no secret matched, as the verifier words it; set when `signedBy` is empty. */
  failure?: { reason: Exclude<RejectReason, 'timestamp_outside_tolerance'>; message: string }
  /**
   * The signed timestamp at `nowMs`: `within` or `outside` the source's tolerance, `unsigned` for
   * kinds that sign none (github, shopify, hmac without a timestamp header); absent when unsigned.
   */
  timestamp?: 'within' | 'outside' | 'unsigned'
  /** The signed timestamp, epoch ms, when the kind signs one and it could be read. */
  timestampMs?: number
}

/**
 * Checks each of the source's secrets on its own against a stored delivery, with the source's own
 * verifier (no second implementation of any scheme), judging the signed timestamp at `nowMs`. A
 * verifier answers `timestamp_outside_tolerance` only for a correctly signed delivery (it checks
 * the signature first), so that answer still names a signer.
 */
export function auditEventSignature(
  event: StoredDelivery,
  source: SourceConfig,
  nowMs: number = event.receivedAt.getTime(),
): SignatureAudit {
  const verifier = verifierForSource(source)
  const verify = (secret: string, at: number) =>
    verifier.verify({ rawBody: event.rawBody, headers: event.headers, secrets: [secret], nowMs: at })
  const audit: SignatureAudit = { signedBy: [] }
  source.secrets.forEach((secret, index) => {
    const result = verify(secret, nowMs)
    if (result.ok) {
      audit.signedBy.push(index)
      audit.timestamp = result.timestampMs === undefined ? 'unsigned' : 'within'
      if (result.timestampMs !== undefined) audit.timestampMs = result.timestampMs
    } else if (result.reason === 'timestamp_outside_tolerance') {
      audit.signedBy.push(index)
      audit.timestamp = 'outside'
      // The verifier names the timestamp only when it accepts it; at receipt it (normally) did.
      const atReceipt = verify(secret, event.receivedAt.getTime())
      if (atReceipt.ok && atReceipt.timestampMs !== undefined) audit.timestampMs = atReceipt.timestampMs
    } else {
      audit.failure ??= { reason: result.reason, message: result.message }
    }
  })
  if (audit.signedBy.length > 0) delete audit.failure
  return audit
}
