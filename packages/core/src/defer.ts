/**
 * Runs `fn` after `delayMs`, or, for 0, right after the current turn of the event loop
 * (setImmediate): `setTimeout(fn, 0)` waits at least 1 ms, which on a request path that batches
 * twice is a measurable share of the latency. Returns a function that cancels the call.
 */
export function defer(fn: () => void, delayMs: number): () => void {
  if (delayMs <= 0) {
    const immediate = setImmediate(fn)
    return () => clearImmediate(immediate)
  }
  const timer = setTimeout(fn, delayMs)
  return () => clearTimeout(timer)
}
