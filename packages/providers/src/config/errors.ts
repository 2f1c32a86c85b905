import { PermanentError } from '@integration-ledger/core'

/** One problem in a sources config, located by a path such as `sources[2].entity.id`. */
export interface ConfigIssue {
  path: string
  message: string
}

/**
 * The sources config is invalid. Carries every problem found, not just the first, so one edit
 * can fix them all; code `CONFIG_INVALID`, never retryable. Issues never include secret values.
 */
export class SourcesConfigError extends PermanentError {
  readonly issues: readonly ConfigIssue[]

  constructor(origin: string, issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`)
    super('CONFIG_INVALID', `Invalid sources config (${origin}):\n${lines.join('\n')}`, {
      ...options,
      details: { origin, issues },
    })
    this.name = 'SourcesConfigError'
    this.issues = issues
  }
}

/** Formats a zod-style path: `['sources', 2, 'entity', 'id']` → `sources[2].entity.id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : `${out === '' ? '' : '.'}${String(segment)}`
  }
  return out === '' ? '(root)' : out
}
