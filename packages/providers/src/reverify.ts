import type { LedgerEvent } from '@ledger/core'
import type { SourceConfig } from './registry.js'
import { verifierForSource } from './source-verifier.js'
import type { VerifyResult } from './verification/types.js'

/**
 * Checks a ledger event's signature again from what the ledger kept (byte-exact body and the
 * source's headers), as ingest did on arrival: at the event's receipt time, so a timestamp that
 * was within tolerance then still is. Use it to audit the ledger, or after a secret leaked to find
 * events signed only with the old secret (`secretIndex`).
 */
export function reverifyEvent(
  event: Pick<LedgerEvent, 'rawBody' | 'headers' | 'receivedAt'>,
  source: SourceConfig,
): VerifyResult {
  return verifierForSource(source).verify({
    rawBody: event.rawBody,
    headers: event.headers,
    secrets: source.secrets,
    nowMs: event.receivedAt.getTime(),
  })
}
