import { LedgerError } from '@integration-ledger/core'
import { z } from 'zod'

/** The example every message about a time shows. */
const EXAMPLE = '2025-01-31T14:03:00Z'

/**
 * An instant as ISO 8601: date, time to at least the second, and `Z` or an offset
 * (`2025-01-31T14:03:00.250+01:00`). Strict on purpose: a date alone or a time without a zone
 * would be read in some clock the operator did not mean.
 */
export const isoTimeSchema = z.iso
  .datetime({ offset: true, error: `expected an ISO 8601 time with a zone, e.g. ${EXAMPLE}` })
  .transform((value) => new Date(value))

/**
 * Parses an operator-supplied time (a query parameter, a CLI flag).
 * @throws LedgerError VALIDATION_FAILED naming `name` and showing the expected form.
 */
export function parseIsoTime(value: string, name: string): Date {
  const parsed = isoTimeSchema.safeParse(value)
  if (parsed.success) return parsed.data
  throw new LedgerError(
    'VALIDATION_FAILED',
    `${name} must be an ISO 8601 time with a zone, e.g. ${EXAMPLE}; got ${JSON.stringify(value.slice(0, 64))}.`,
  )
}
