import { PermanentError } from '@integration-ledger/core'

/**
 * Guards against a source configured without secrets, which is a server bug rather than a bad
 * request: it throws instead of rejecting so it surfaces as a 500 and in the logs.
 * @throws PermanentError CONFIG_INVALID
 */
export function assertSecrets(secrets: readonly string[], kind: string): void {
  if (secrets.length === 0) {
    throw new PermanentError(
      'CONFIG_INVALID',
      `No secret configured for a ${kind} verifier; add at least one`,
      {
        details: { kind },
      },
    )
  }
}
