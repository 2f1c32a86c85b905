import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitForOptions {
  /** @default 30000 */
  timeoutMs?: number
  /** @default 100 */
  intervalMs?: number
  /** Said in the error when time runs out; a function is called then, to report the last state seen. */
  description?: string | (() => string)
}

/**
 * Polls `probe` until it returns a value other than undefined/false, and returns that value.
 * Used for eventual outcomes (a projection row appearing), never to time a test.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      const { description = 'condition' } = options
      const what = typeof description === 'function' ? description() : description
      throw new Error(`Timed out waiting for ${what}`, { cause: lastError })
    }
    await sleep(options.intervalMs ?? 100)
  }
}
