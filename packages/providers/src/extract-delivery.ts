import { parseStorableJson } from '@ledger/core'
import type { RequestHeaders } from '../verifiers/index.js'
import { extractFailure } from './extraction-result.js'
import { extractGithub } from './extractors/github.js'
import { extractHmac } from './extractors/hmac.js'
import { extractShopify } from './extractors/shopify.js'
import { extractStandard } from './extractors/standard.js'
import { extractStripe } from './extractors/stripe.js'
import type { ExtractResult, SourceConfig } from './types.js'

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
  if (json.value === null || typeof json.value !== 'object' || Array.isArray(json.value)) {
    return extractFailure('validation_failed', 'The body must be a JSON object.')
  }
  switch (source.kind) {
    case 'stripe':
      return extractStripe(source, json.value, headers)
    case 'github':
      return extractGithub(source, json.value, headers, receivedAtMs)
    case 'shopify':
      return extractShopify(source, json.value, headers, receivedAtMs)
    case 'standard':
      return extractStandard(source, json.value, headers, receivedAtMs)
    case 'hmac':
      return extractHmac(source, json.value, headers, receivedAtMs)
  }
}
