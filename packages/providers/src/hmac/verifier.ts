import { DIGEST_BYTES, hmac } from '../verification/digest.js'
import { decodeBase64, decodeHex } from '../verification/encoding.js'
import { readHeader } from '../verification/headers.js'
import { type HmacVerifierOptions, parseHmacVerifierOptions } from './options.js'
import { reject } from '../verification/result.js'
import { assertSecrets } from '../verification/secrets.js'
import { decodeSignatureList } from '../verification/signature-list.js'
import { findMatchingSecret } from '../verification/timing-safe.js'
import {
  isWithinTolerance,
  parseUnixSeconds,
  resolveTolerance,
  toleranceMessage,
} from '../verification/tolerance.js'
import type { Verifier, VerifyInput, VerifyResult } from '../verification/types.js'

/**
 * Verifies senders that sign with a plain HMAC of the body (or of `${timestamp}.${body}` when a
 * timestamp header is configured), keyed with the secret as a UTF-8 string.
 * @throws PermanentError CONFIG_INVALID for invalid options.
 */
export function createHmacVerifier(options: HmacVerifierOptions): Verifier {
  const parsed = parseHmacVerifierOptions(options)
  const toleranceSeconds =
    parsed.timestampHeader === undefined ? undefined : resolveTolerance(parsed.toleranceSeconds, 'hmac')
  const decode = parsed.encoding === 'hex' ? decodeHex : decodeBase64
  const prefix = parsed.prefix ?? ''
  const decodeEntry = (entry: string): Buffer | undefined =>
    entry.startsWith(prefix) ? decode(entry.slice(prefix.length)) : undefined
  const hint = `expected ${prefix}<${parsed.encoding} ${parsed.algorithm} HMAC>. Send the header exactly as the sender produced it.`

  return {
    verify({ rawBody, headers, secrets, nowMs }: VerifyInput): VerifyResult {
      assertSecrets(secrets, 'hmac')
      const header = readHeader(headers, parsed.header)
      if (header.status === 'missing') {
        return reject(
          'missing_header',
          `Missing ${parsed.header} header. Configure the sender to sign deliveries for this source.`,
        )
      }
      if (header.status === 'repeated')
        return reject('malformed_header', `${parsed.header} was sent more than once; ${hint}`)

      let timestamp: string | undefined
      if (parsed.timestampHeader !== undefined) {
        const read = readHeader(headers, parsed.timestampHeader)
        if (read.status === 'missing') {
          return reject(
            'missing_header',
            `Missing ${parsed.timestampHeader} header. This source signs a timestamp; send it in unix seconds.`,
          )
        }
        if (read.status === 'repeated' || parseUnixSeconds(read.value) === undefined) {
          return reject(
            'malformed_header',
            `${parsed.timestampHeader} is malformed; expected one value in unix seconds (digits only).`,
          )
        }
        timestamp = read.value
      }

      const list = decodeSignatureList(header.value, decodeEntry, DIGEST_BYTES[parsed.algorithm])
      if (!list.ok)
        return reject('malformed_header', `${parsed.header} is malformed (${list.problem}); ${hint}`)

      const parts = timestamp === undefined ? [rawBody] : [`${timestamp}.`, rawBody]
      const expected = secrets.map((secret) => hmac(parsed.algorithm, secret, parts))
      const secretIndex = findMatchingSecret(expected, list.signatures)
      if (secretIndex === -1) {
        return reject(
          'bad_signature',
          `${parsed.header} does not match this delivery. Check that this source is configured with the sender's secret, and that nothing modifies the body in transit.`,
        )
      }
      if (timestamp === undefined || toleranceSeconds === undefined) return { ok: true, secretIndex }
      const timestampSec = Number(timestamp)
      if (!isWithinTolerance(timestampSec, nowMs, toleranceSeconds)) {
        return reject(
          'timestamp_outside_tolerance',
          toleranceMessage(parsed.timestampHeader ?? parsed.header, toleranceSeconds),
        )
      }
      return { ok: true, secretIndex, timestampMs: timestampSec * 1000 }
    },
  }
}
