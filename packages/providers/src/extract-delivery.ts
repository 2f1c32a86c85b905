import { parseStorableJson } from '@integration-ledger/core'
import { extractFailure } from './extraction/extraction-result.js'
import { isJsonObject } from './extraction/values.js'
import type { ExtractResult } from './extraction/types.js'
import { type SourceConfig, providerFor } from './registry.js'
import type { RequestHeaders } from './verification/types.js'

/**
 * Derives the ledger fields of a verified delivery: provider event ID, type, entity type/ID/version
 * and occurred-at time, per the source's kind and entity mapping. Call it after verification, on
 * the raw body. It never throws: a signed but unusable delivery comes back as
 * `{ ok: false, reason }` for the caller to quarantine.
 */
export function extractDelivery(
  source: SourceConfig,
  body: Buffer | string,
  headers: RequestHeaders,
  receivedAtMs: number,
): ExtractResult {
  // The rule the projector stores by, so nothing accepted here is dead-lettered there.
  const json = parseStorableJson(body)
  if (!json.ok) {
    return json.problem === 'not_json'
      ? extractFailure('invalid_json', 'The body is not valid JSON; the sender must send application/json.')
      : extractFailure('unstorable_json', json.message)
  }
  if (!isJsonObject(json.value)) {
    return extractFailure('validation_failed', 'The body must be a JSON object.')
  }
  return providerFor(source.kind).extract(source, json.value, headers, receivedAtMs)
}
