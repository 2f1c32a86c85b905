import type { RequestHeaders } from './types.js'

/** RFC 9110 token characters: what a header name may contain. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** One header's value, or why there is no single usable value. */
export type HeaderRead = { status: 'missing' } | { status: 'repeated' } | { status: 'present'; value: string }

/**
 * Reads one header by its lower-cased name. An empty value counts as missing. An array with more
 * than one entry is reported as `repeated` rather than joined, because joining would silently
 * change the meaning of formats that use commas or spaces as separators; senders put several
 * signatures in one header instead.
 */
export function readHeader(headers: RequestHeaders, name: string): HeaderRead {
  const raw = headers[name.toLowerCase()]
  const values = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
    .map((value) => value.trim())
    .filter((value) => value.length > 0)
  if (values.length === 0) return { status: 'missing' }
  if (values.length > 1) return { status: 'repeated' }
  return { status: 'present', value: values[0] as string }
}
