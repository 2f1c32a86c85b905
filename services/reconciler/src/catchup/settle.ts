import { setTimeout as sleep } from 'node:timers/promises'
import type { CatchUpContext } from './types.js'

/** How long a pass waits, by default, for what it brought in to reach the ledger table. */
export const DEFAULT_SETTLE_TIMEOUT_MS = 30_000

/**
 * Waits (bounded by `timeoutMs`) until the ledger table holds `eventIds`, i.e. the projector has
 * applied what a catch-up pass brought in; else the scan that follows would repair the same
 * change with a corrective event. Returns the IDs still missing at the deadline (a redelivery
 * that failed again, a slow projector): the scan judges those entities as it finds them.
 */
export async function settle(
  ctx: Pick<CatchUpContext, 'local' | 'signal'>,
  eventIds: readonly string[],
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  let pending = [...eventIds]
  while (pending.length > 0) {
    const recorded = await ctx.local.inLedger(pending)
    pending = pending.filter((id) => !recorded.has(id))
    if (pending.length === 0 || Date.now() >= deadline) break
    await sleep(200, undefined, ctx.signal === undefined ? {} : { signal: ctx.signal })
  }
  return pending
}
