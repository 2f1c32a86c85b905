const HEX = /^(?:[0-9a-fA-F]{2})+$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Strict hex decoding. `Buffer.from(s, 'hex')` stops silently at the first bad character, which
 * would let a malformed signature decode to a shorter, different value; this returns `undefined`.
 */
export function decodeHex(value: string): Buffer | undefined {
  return HEX.test(value) ? Buffer.from(value, 'hex') : undefined
}

/** Strict, padded standard base64 decoding (what Shopify and Standard Webhooks send); `undefined` if invalid. */
export function decodeBase64(value: string): Buffer | undefined {
  return value.length > 0 && BASE64.test(value) ? Buffer.from(value, 'base64') : undefined
}
