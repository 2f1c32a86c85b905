import { MAX_SIGNATURES } from './timing-safe.js'

/** Result of decoding a comma-separated list of signatures. */
export type SignatureList = { ok: true; signatures: Buffer[] } | { ok: false; problem: string }

/**
 * Decodes a header holding one signature, or several separated by commas (how a proxy that
 * re-signs, or node folding a repeated header, presents them). An entry that does not decode to a
 * digest of the expected size is skipped, as the providers' reference libraries skip what they
 * cannot read: trust comes only from an HMAC match, never from the list's shape. The list is
 * malformed only when no entry decodes.
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
    if (signature?.length === digestBytes) signatures.push(signature)
  }
  if (signatures.length === 0) return { ok: false, problem: 'no signature decodes to a digest' }
  return { ok: true, signatures }
}
