import { createHmac } from 'node:crypto'

/** HMAC hash functions the verifiers support. */
export type HmacAlgorithm = 'sha256' | 'sha512'

/** Digest length in bytes per algorithm, so decoded candidates of the wrong size are refused early. */
export const DIGEST_BYTES: Readonly<Record<HmacAlgorithm, number>> = { sha256: 32, sha512: 64 }

/**
 * HMAC over the concatenation of `parts`. Parts are fed one by one so the raw body is hashed as
 * bytes and never round-tripped through a string (which would alter invalid UTF-8).
 */
export function hmac(
  algorithm: HmacAlgorithm,
  key: string | Buffer,
  parts: readonly (string | Buffer)[],
): Buffer {
  const mac = createHmac(algorithm, key)
  for (const part of parts) mac.update(part)
  return mac.digest()
}
