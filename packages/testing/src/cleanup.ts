import type { CleanupHost } from './database.js'

/**
 * node:test runs `after` hooks in the order they were registered; resources need the reverse
 * (close the service before dropping its database). A scope runs its own hooks last-in, first-out.
 */
export function cleanupScope(t: CleanupHost): CleanupHost {
  const hooks: (() => Promise<void> | void)[] = []
  t.after(async () => {
    for (const hook of hooks.reverse()) await hook()
  })
  return { after: (fn) => void hooks.push(fn) }
}
