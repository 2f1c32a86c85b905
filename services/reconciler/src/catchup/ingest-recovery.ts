import { setTimeout as sleep } from 'node:timers/promises'
import { type BackoffPolicy, PermanentError, TransientError, backoffDelayMs } from '@integration-ledger/core'

/** How a refused-for-now answer (503, 409 busy, a lost connection) is retried. */
const RETRY: BackoffPolicy = { baseMs: 250, maxMs: 5000 }
const MAX_ATTEMPTS = 8

export interface IngestRecoveryOptions {
  /** Ingest's origin, e.g. `http://127.0.0.1:8080`. */
  url: string
  /** A token of ingest's INGEST_RECOVERY_TOKENS. */
  token: string
}

/**
 * Hands recovered provider events to ingest's `POST /recovered/:source`, which extracts and claims
 * them exactly as their webhooks (same provider event ID, same dedup row): the reconciler never
 * publishes a recovered event itself, so a webhook arriving later is a duplicate at ingest.
 */
export class IngestRecovery {
  constructor(private readonly options: IngestRecoveryOptions) {}

  /**
   * @returns whether ingest published it now (false: it had the event already).
   * @throws PermanentError when ingest refuses it for good; TransientError after the retries.
   */
  async submit(source: string, event: unknown, signal?: AbortSignal): Promise<{ duplicate: boolean }> {
    const url = new URL(`/recovered/${encodeURIComponent(source)}`, this.options.url)
    const body = JSON.stringify(event)
    let last = ''
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(backoffDelayMs(attempt - 1, RETRY), undefined, { signal })
      let res: Response
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
          body,
          ...(signal === undefined ? {} : { signal }),
        })
      } catch (err) {
        signal?.throwIfAborted()
        last = (err as Error).message
        continue
      }
      const text = await res.text()
      if (res.status === 200 || res.status === 202) {
        return { duplicate: (JSON.parse(text) as { duplicate?: boolean }).duplicate === true }
      }
      last = `${res.status} ${text.slice(0, 300)}`
      // Overloaded, broker away, or another replica publishing it right now: ask again.
      if (res.status === 503 || res.status === 409 || res.status === 429) continue
      throw new PermanentError(
        'PROVIDER_REJECTED',
        `Ingest refused the recovered event of source "${source}" (${last}); check INGEST_RECOVERY_TOKENS and the source's configuration.`,
      )
    }
    throw new TransientError(
      'BROKER_UNAVAILABLE',
      `Ingest did not take the recovered event of source "${source}" after ${MAX_ATTEMPTS} attempts (${last}); the catch-up resumes from its checkpoint next run.`,
    )
  }
}
