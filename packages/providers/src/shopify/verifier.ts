import { DIGEST_BYTES, hmac } from '../verification/digest.js'
import { decodeBase64 } from '../verification/encoding.js'
import { readHeader } from '../verification/headers.js'
import { reject } from '../verification/result.js'
import { assertSecrets } from '../verification/secrets.js'
import { decodeSignatureList } from '../verification/signature-list.js'
import { findMatchingSecret } from '../verification/timing-safe.js'
import type { Verifier, VerifyInput, VerifyResult } from '../verification/types.js'

/** Header Shopify signs deliveries in. */
export const SHOPIFY_SIGNATURE_HEADER = 'x-shopify-hmac-sha256'

const FORMAT_HINT =
  'expected the base64 HMAC-SHA256 of the body. Forward the header exactly as Shopify sent it.'

/**
 * Verifies Shopify deliveries: base64 HMAC-SHA256 of the raw body, keyed with the app's client
 * secret as a string. Shopify signs no timestamp; de-duplicate on X-Shopify-Webhook-Id instead.
 */
export function createShopifyVerifier(): Verifier {
  return { verify: verifyShopify }
}

function verifyShopify({ rawBody, headers, secrets }: VerifyInput): VerifyResult {
  assertSecrets(secrets, 'shopify')
  const header = readHeader(headers, SHOPIFY_SIGNATURE_HEADER)
  if (header.status === 'missing') {
    return reject(
      'missing_header',
      'Missing X-Shopify-Hmac-Sha256 header. Send deliveries from a Shopify webhook subscription, which signs every delivery.',
    )
  }
  if (header.status === 'repeated') {
    return reject('malformed_header', `X-Shopify-Hmac-Sha256 was sent more than once; ${FORMAT_HINT}`)
  }
  const parsed = decodeSignatureList(header.value, decodeBase64, DIGEST_BYTES.sha256)
  if (!parsed.ok)
    return reject(
      'malformed_header',
      `X-Shopify-Hmac-Sha256 is malformed (${parsed.problem}); ${FORMAT_HINT}`,
    )

  const expected = secrets.map((secret) => hmac('sha256', secret, [rawBody]))
  const secretIndex = findMatchingSecret(expected, parsed.signatures)
  if (secretIndex === -1) {
    return reject(
      'bad_signature',
      "X-Shopify-Hmac-Sha256 does not match this body. Check that this source is configured with the app's client secret, and that nothing modifies the body in transit.",
    )
  }
  return { ok: true, secretIndex }
}
