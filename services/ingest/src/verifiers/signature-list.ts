import { MAX_SIGNATURES } from './timing-safe.js'

/** Result of decoding a comma-separated list of signatures. */
export type SignatureList = { ok: true; signatures: Buffer[] } | { ok: false; problem: string }

/**
 * Decodes a header holding one signature, or several separated by commas (how a proxy that
 * re-signs, or node folding a repeated header, presents them). Every entry must decode to a digest
 * of the expected size; a list with a bad entry is malformed as a whole rather than half-trusted.
 */
export function decodeSignatureList(
  value: string,
  decode: (entry: string) => Buffer | undefined,
  digestBytes: number,
): SignatureList {
  const entries = value.split(',').map((entry) => entry.trim())
  if (entries.length > MAX_SIGNATURES) return { ok: false, problem: `more than ${MAX_SIGNATURES} signatures` }
  const signatures: Buffer[] = []
  for (const entry of entries) {
    const signature = decode(entry)
    if (signature?.length !== digestBytes)
      return { ok: false, problem: 'a signature does not decode to a digest' }
    signatures.push(signature)
  }
  return { ok: true, signatures }
}
