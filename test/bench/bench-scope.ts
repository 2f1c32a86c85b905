// What every benchmark script sets up first: a log line prefix on stderr, and the clean-ups its
// set-up registers (servers, pools, topics), run in reverse at the end.
import type { CleanupHost } from '@integration-ledger/testing'

export interface BenchScope {
  /** Writes `[<prefix>] line` to stderr; stdout is left for the tables. */
  log: (line: string) => void
  /** Where set-up registers what to undo (the same shape tests' cleanup scopes have). */
  scope: CleanupHost
  /** Runs the registered clean-ups, the last registered first. */
  cleanUp: () => Promise<void>
}

export function benchScope(prefix = 'bench'): BenchScope {
  const hooks: (() => Promise<void> | void)[] = []
  return {
    log: (line) => void process.stderr.write(`[${prefix}] ${line}\n`),
    scope: { after: (fn: () => Promise<void> | void) => void hooks.push(fn) },
    cleanUp: async () => {
      for (const hook of hooks.reverse()) await hook()
    },
  }
}
