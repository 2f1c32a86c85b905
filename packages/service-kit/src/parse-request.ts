import { LedgerError } from '@integration-ledger/core'
import type { z } from 'zod'

/**
 * Parses a request's query, params or body with a zod schema, failing with VALIDATION_FAILED that
 * names each bad field, so the one error mapper answers 400 with what was wrong. A route parses
 * with this, never with `schema.parse` (a bare ZodError would be answered as a 500).
 * @param what how the answer names the input ("DLQ query", "review item ID").
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`)
  throw new LedgerError('VALIDATION_FAILED', `Invalid ${what}: ${problems.join('; ')}`)
}
