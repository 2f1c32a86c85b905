/**
 * Resolves a JSON pointer (RFC 6901) against a parsed document, or returns a literal.
 *
 * - `''` is the whole document; `/a/0/b` walks objects and arrays; `~1` decodes to `/` and `~0`
 *   to `~` (in that order, as the RFC requires, so `~01` is `~1`, not `/`).
 * - A string that does not start with `/` is not a pointer and is returned as-is: config fields
 *   such as `type: order` are literals.
 * - Only own properties are followed, so `/__proto__` or `/constructor` never reach prototypes.
 *
 * Returns `undefined` when the pointer does not resolve, including for invalid escapes such as
 * `~2` (config validation refuses those earlier, see `isValidPointer`).
 */
export function resolvePointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document
  if (!pointer.startsWith('/')) return pointer
  if (!isValidPointer(pointer)) return undefined
  let current: unknown = document
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    if (Array.isArray(current)) {
      // RFC 6901 array index: "0" or digits without a leading zero; "-" (past the end) never resolves.
      if (!/^(?:0|[1-9]\d*)$/.test(token)) return undefined
      current = current[Number(token)]
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token]
    } else {
      return undefined
    }
  }
  return current
}

/** Whether `pointer` is a syntactically valid RFC 6901 pointer (every `~` followed by 0 or 1). */
export function isValidPointer(pointer: string): boolean {
  return (pointer === '' || pointer.startsWith('/')) && !/~(?![01])/.test(pointer)
}
