/** A decoded Stripe parameter: a string, a list (`types[]=a`), or a hash (`created[gte]=1`, `metadata[k]=v`). */
export type StripeParam = string | string[] | Record<string, string>

/**
 * Decodes Stripe's form encoding, used in query strings and in POST bodies
 * (`application/x-www-form-urlencoded`): `a[]=x` and `a[0]=x` are lists, `a[key]=x` a hash. One
 * level of nesting, which is all the endpoints the fake serves take.
 */
export function decodeStripeParams(pairs: URLSearchParams): Map<string, StripeParam> {
  const params = new Map<string, StripeParam>()
  for (const [key, value] of pairs) {
    const match = /^([^[\]]+)(?:\[([^[\]]*)\])?$/.exec(key)
    const base = match?.[1] ?? key
    const inner = match?.[2]
    if (inner === undefined) {
      params.set(base, value)
    } else if (inner === '' || /^\d+$/.test(inner)) {
      const list = params.get(base)
      params.set(base, Array.isArray(list) ? [...list, value] : [value])
    } else {
      const hash = params.get(base)
      params.set(base, { ...(typeof hash === 'object' && !Array.isArray(hash) ? hash : {}), [inner]: value })
    }
  }
  return params
}

/** A stable text of the parameters, for telling whether a reused idempotency key came with the same request. */
export function fingerprint(params: Map<string, StripeParam>): string {
  return JSON.stringify(
    [...params.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).sort() : v]),
  )
}
