import { LedgerError } from '@integration-ledger/core'
import type { z } from 'zod'
import { formatPath } from '../config/errors.js'

/**
 * A provider answered a call successfully but in a shape the adapter does not understand (a field
 * missing or of another type, an object it cannot map to an entity). Raised at the boundary, so a
 * malformed answer never travels further in. The message lists where the answer differs (paths,
 * never values: answers hold customer data); not retryable, since asking again gets the same.
 */
export class ProviderAnswerInvalidError extends LedgerError {
  constructor(provider: string, operation: string, problems: readonly string[]) {
    super(
      'PROVIDER_ANSWER_INVALID',
      `${provider} ${operation} answered in an unexpected shape (${problems.slice(0, 5).join('; ')}); check the adapter against the provider's API version.`,
      { details: { provider, operation } },
    )
    this.name = 'ProviderAnswerInvalidError'
  }
}

/** Parses a provider's answer body with `schema`, or throws `ProviderAnswerInvalidError`. */
export function parseAnswer<S extends z.ZodType>(
  schema: S,
  body: unknown,
  call: { provider: string; operation: string },
): z.output<S> {
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  throw new ProviderAnswerInvalidError(
    call.provider,
    call.operation,
    parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  )
}
