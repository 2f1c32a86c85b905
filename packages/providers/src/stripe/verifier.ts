import { DIGEST_BYTES, hmac } from '../verification/digest.js'
import { decodeHex } from '../verification/encoding.js'
import { readHeader } from '../verification/headers.js'
import { reject } from '../verification/result.js'
import { assertSecrets } from '../verification/secrets.js'
import { MAX_SIGNATURES, findMatchingSecret } from '../verification/timing-safe.js'
import {
  isWithinTolerance,
  parseUnixSeconds,
  resolveTolerance,
  toleranceMessage,
} from '../verification/tolerance.js'
import type { Verifier, VerifyInput, VerifyResult } from '../verification/types.js'

/** Header Stripe signs deliveries in (lower-cased, as node presents it). */
export const STRIPE_SIGNATURE_HEADER = 'stripe-signature'

/** Options of the Stripe verifier. */
export interface StripeVerifierOptions {
  /** Accepted distance between the signed timestamp and now, both directions. @default 300 */
  toleranceSeconds?: number
}

const FORMAT_HINT =
  'expected "t=<unix seconds>,v1=<hex signature>[,v1=...]". Forward the header exactly as Stripe sent it.'

type ParsedHeader = { ok: true; timestamp: string; signatures: Buffer[] } | { ok: false; problem: string }

/**
 * Parses `t=<unix>,v1=<hex>[,v1=<hex>...]`. Schemes other than v1 (v0 is Stripe's test-mode
 * signature over a different key) are ignored, and so is a v1 value that is not a hex digest, as
 * Stripe's libraries do (they compare every v1 value and only a match counts); the header is
 * malformed when no v1 value is usable.
 */
function parseStripeHeader(value: string): ParsedHeader {
  let timestamp: string | undefined
  const signatures: Buffer[] = []
  for (const element of value.split(',')) {
    const separator = element.indexOf('=')
    if (separator < 1) return { ok: false, problem: 'an element is not key=value' }
    const key = element.slice(0, separator).trim()
    const item = element.slice(separator + 1).trim()
    if (key === 't') {
      if (timestamp !== undefined) return { ok: false, problem: 't appears more than once' }
      if (parseUnixSeconds(item) === undefined) return { ok: false, problem: 't is not unix seconds' }
      timestamp = item
    } else if (key === 'v1') {
      const signature = decodeHex(item)
      if (signature?.length === DIGEST_BYTES.sha256) signatures.push(signature)
    }
  }
  if (timestamp === undefined) return { ok: false, problem: 'no t element' }
  if (signatures.length === 0) return { ok: false, problem: 'no v1 value is a hex SHA-256 signature' }
  if (signatures.length > MAX_SIGNATURES)
    return { ok: false, problem: `more than ${MAX_SIGNATURES} signatures` }
  return { ok: true, timestamp, signatures }
}

/**
 * Verifies Stripe deliveries: HMAC-SHA256, keyed with the `whsec_...` secret used as a UTF-8
 * string (Stripe does not decode it), over `${t}.${rawBody}`.
 * @throws PermanentError CONFIG_INVALID for an invalid tolerance.
 */
export function createStripeVerifier(options: StripeVerifierOptions = {}): Verifier {
  const toleranceSeconds = resolveTolerance(options.toleranceSeconds, 'stripe')
  return { verify: (input) => verifyStripe(input, toleranceSeconds) }
}

function verifyStripe(
  { rawBody, headers, secrets, nowMs }: VerifyInput,
  toleranceSeconds: number,
): VerifyResult {
  assertSecrets(secrets, 'stripe')
  const header = readHeader(headers, STRIPE_SIGNATURE_HEADER)
  if (header.status === 'missing') {
    return reject(
      'missing_header',
      'Missing Stripe-Signature header. Send deliveries from a Stripe webhook endpoint, which signs every event.',
    )
  }
  if (header.status === 'repeated') {
    return reject(
      'malformed_header',
      `Stripe-Signature was sent more than once; send it once, ${FORMAT_HINT}`,
    )
  }
  const parsed = parseStripeHeader(header.value)
  if (!parsed.ok)
    return reject('malformed_header', `Stripe-Signature is malformed (${parsed.problem}); ${FORMAT_HINT}`)

  // The timestamp is hashed as the exact text that was sent, not as a re-formatted number.
  const expected = secrets.map((secret) => hmac('sha256', secret, [`${parsed.timestamp}.`, rawBody]))
  const secretIndex = findMatchingSecret(expected, parsed.signatures)
  if (secretIndex === -1) {
    return reject(
      'bad_signature',
      'No Stripe-Signature v1 signature matches this body. Check that this source is configured with the signing secret of the Stripe endpoint sending to it, and that nothing between Stripe and us modifies the body.',
    )
  }
  const timestampSec = Number(parsed.timestamp)
  if (!isWithinTolerance(timestampSec, nowMs, toleranceSeconds)) {
    return reject('timestamp_outside_tolerance', toleranceMessage('Stripe-Signature', toleranceSeconds))
  }
  return { ok: true, secretIndex, timestampMs: timestampSec * 1000 }
}
