import { LedgerError } from '@integration-ledger/core'

/** One series of an instant query: its labels and value. */
export interface Sample {
  labels: Record<string, string>
  value: number
}

/** An alert as Prometheus' `/api/v1/alerts` lists it. */
export interface PromAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  state: 'pending' | 'firing'
  activeAt: string
}

/** How long one Prometheus request may take; the page must answer even when Prometheus hangs. */
const REQUEST_TIMEOUT_MS = 3000

/**
 * Instant queries against Prometheus' HTTP API. Every query of one summary is evaluated at the same
 * `time`, so the numbers on the page belong together and can be checked against Prometheus.
 */
export class PrometheusClient {
  constructor(private readonly baseUrl: string) {}

  async query(promql: string, time: number): Promise<Sample[]> {
    const url = `${this.baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}&time=${time}`
    const data = await this.#get<{
      resultType: string
      result: { metric: Record<string, string>; value: [number, string] }[]
    }>(url)
    if (data.resultType !== 'vector') return []
    return data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }))
  }

  async alerts(): Promise<PromAlert[]> {
    return (await this.#get<{ alerts: PromAlert[] }>(`${this.baseUrl}/api/v1/alerts`)).alerts
  }

  async #get<T>(url: string): Promise<T> {
    let res: Response
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    } catch (err) {
      throw new LedgerError(
        'PROVIDER_UNAVAILABLE',
        'Prometheus does not answer; check that it runs and that LEDGER_PROMETHEUS_URL names it.',
        { cause: err },
      )
    }
    const body = (await res.json().catch(() => undefined)) as
      { status?: string; data?: T; error?: string } | undefined
    if (!res.ok || body?.status !== 'success' || body.data === undefined) {
      throw new LedgerError(
        'PROVIDER_UNAVAILABLE',
        `Prometheus answered ${res.status}${body?.error ? `: ${body.error}` : ''}.`,
      )
    }
    return body.data
  }
}
