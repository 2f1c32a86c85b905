import { PermanentError } from '@integration-ledger/core'
import { DIGEST_BYTES, hmac } from '../verification/digest.js'
import { decodeBase64 } from '../verification/encoding.js'
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

/** Headers defined by the Standard Webhooks specification. */
export const STANDARD_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const

/** Options of the Standard Webhooks verifier. */
export interface StandardVerifierOptions {
  /** Accepted distance between `webhook-timestamp` and now, both directions. @default 300 */
  toleranceSeconds?: number
}

const SECRET_PREFIX = 'whsec_'
const FORMAT_HINT =
  'expected space-separated "v1,<base64 signature>" entries. Forward the header exactly as it was sent.'

/**
 * Decodes a Standard Webhooks secret into key bytes: `whsec_<base64>`, or the bare base64 part.
 * Returns `undefined` when it is not valid base64, so config loading can refuse it early.
 */
export function decodeStandardSecret(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  const key = decodeBase64(encoded)
  return key !== undefined && key.length > 0 ? key : undefined
}

function secretKey(secret: string, index: number): Buffer {
  const key = decodeStandardSecret(secret)
  if (key === undefined) {
    // The index, never the value: this message reaches logs.
    throw new PermanentError(
      'CONFIG_INVALID',
      `Standard Webhooks secret #${index} is not "whsec_<base64>"; fix the source's secrets`,
      {
        details: { kind: 'standard', secretIndex: index },
      },
    )
  }
  return key
}

type ParsedSignatures = { ok: true; signatures: Buffer[] } | { ok: false; problem: string }

/**
 * Parses `v1,<b64> v1,<b64> v1a,<...>`. As in the reference libraries, an entry that is not a
 * decodable v1 signature (another version such as asymmetric v1a, no comma, bad base64, wrong
 * length) is skipped rather than failing the header: trust comes only from an HMAC match, and a
 * sender may list signatures this verifier cannot read beside one it can. The header is malformed
 * only when no entry is a usable v1 signature.
 */
function parseSignatureHeader(value: string): ParsedSignatures {
  const signatures: Buffer[] = []
  const entries = value.trim().split(/\s+/)
  if (entries.length > MAX_SIGNATURES) return { ok: false, problem: `more than ${MAX_SIGNATURES} signatures` }
  for (const entry of entries) {
    const separator = entry.indexOf(',')
    if (separator < 1 || entry.slice(0, separator) !== 'v1') continue
    const signature = decodeBase64(entry.slice(separator + 1))
    if (signature?.length === DIGEST_BYTES.sha256) signatures.push(signature)
  }
  if (signatures.length === 0) return { ok: false, problem: 'no v1 entry holds a base64 SHA-256 signature' }
  return { ok: true, signatures }
}

/**
 * Verifies Standard Webhooks deliveries (https://www.standardwebhooks.com): HMAC-SHA256 keyed with
 * the base64-decoded secret over `${webhook-id}.${webhook-timestamp}.${rawBody}`.
 * @throws PermanentError CONFIG_INVALID for an invalid tolerance.
 */
export function createStandardVerifier(options: StandardVerifierOptions = {}): Verifier {
  const toleranceSeconds = resolveTolerance(options.toleranceSeconds, 'standard')
  return { verify: (input) => verifyStandard(input, toleranceSeconds) }
}

function verifyStandard(
  { rawBody, headers, secrets, nowMs }: VerifyInput,
  toleranceSeconds: number,
): VerifyResult {
  assertSecrets(secrets, 'standard')
  const id = readHeader(headers, STANDARD_WEBHOOK_HEADERS.id)
  const timestamp = readHeader(headers, STANDARD_WEBHOOK_HEADERS.timestamp)
  const signature = readHeader(headers, STANDARD_WEBHOOK_HEADERS.signature)
  const missing = [
    [STANDARD_WEBHOOK_HEADERS.id, id],
    [STANDARD_WEBHOOK_HEADERS.timestamp, timestamp],
    [STANDARD_WEBHOOK_HEADERS.signature, signature],
  ].flatMap(([name, read]) => ((read as typeof id).status === 'missing' ? [name as string] : []))
  if (missing.length > 0) {
    return reject(
      'missing_header',
      `Missing ${missing.join(', ')} header(s). Standard Webhooks deliveries carry webhook-id, webhook-timestamp and webhook-signature.`,
    )
  }
  if (id.status !== 'present' || timestamp.status !== 'present' || signature.status !== 'present') {
    return reject('malformed_header', 'A webhook-* header was sent more than once; send each exactly once.')
  }
  const timestampSec = parseUnixSeconds(timestamp.value)
  if (timestampSec === undefined) {
    return reject('malformed_header', 'webhook-timestamp is malformed; expected unix seconds (digits only).')
  }
  const parsed = parseSignatureHeader(signature.value)
  if (!parsed.ok)
    return reject('malformed_header', `webhook-signature is malformed (${parsed.problem}); ${FORMAT_HINT}`)

  const expected = secrets.map((secret, index) =>
    hmac('sha256', secretKey(secret, index), [`${id.value}.${timestamp.value}.`, rawBody]),
  )
  const secretIndex = findMatchingSecret(expected, parsed.signatures)
  if (secretIndex === -1) {
    return reject(
      'bad_signature',
      'No webhook-signature v1 entry matches this delivery. Check that this source is configured with the endpoint secret of the sender, and that nothing modifies the body or the webhook-id/webhook-timestamp headers.',
    )
  }
  if (!isWithinTolerance(timestampSec, nowMs, toleranceSeconds)) {
    return reject('timestamp_outside_tolerance', toleranceMessage('webhook-timestamp', toleranceSeconds))
  }
  return { ok: true, secretIndex, timestampMs: timestampSec * 1000 }
}
