/** Where a fake sends its webhooks, and the secret it signs them with. */
export interface WebhookTarget {
  url: string
  secret: string
}

/** What came of one webhook POST: the status answered, or 0 when none came (refused, timed out). */
export type DeliveryOutcome = { statusCode: number; status: string }

/** A receiver gets this long to answer, as the providers give up on slow endpoints. */
const DELIVERY_TIMEOUT_MS = 10_000

/**
 * Sends webhooks in the background, as the providers do (after the change, never inside the API
 * request that caused it), and lets a test wait until every one sent so far has been answered.
 */
export class WebhookSender {
  private readonly pending = new Set<Promise<void>>()

  /** POSTs `body` to `url`; `done` gets the outcome. */
  send(
    url: string,
    headers: Record<string, string>,
    body: string,
    done: (outcome: DeliveryOutcome) => void,
  ): void {
    const attempt = post(url, headers, body)
      .then(done)
      .finally(() => this.pending.delete(attempt))
    this.pending.add(attempt)
  }

  /** Resolves when every webhook sent so far has been answered or given up. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending])
  }
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<DeliveryOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    })
    await res.arrayBuffer()
    const ok = res.status >= 200 && res.status <= 299
    return { statusCode: res.status, status: ok ? 'OK' : `Invalid HTTP Response: ${res.status}` }
  } catch {
    return { statusCode: 0, status: 'failed to connect to host' }
  }
}
