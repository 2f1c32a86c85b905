import { ERROR_CODES, type ErrorCode, LedgerError } from '@integration-ledger/core'

const REQUEST_TIMEOUT_MS = 5000

/** A run as the reconciler's `GET /runs` lists it (the fields the page shows). */
export interface ReconcileRun {
  id: string
  source: string
  entityType: string
  status: 'running' | 'succeeded' | 'failed'
  dryRun: boolean
  startedBy: string
  startedAt: string
  counts: { compared: number; drift: Record<string, number>; repairsPublished: number; reviewNew: number }
}

const isErrorCode = (code: unknown): code is ErrorCode => ERROR_CODES.includes(code as ErrorCode)

/**
 * The reconciler's HTTP API, called with the admin's own reconciler token. Review items are read
 * and resolved only through it (their table and the accept-remote logic belong to the reconciler
 * service), so a resolution from the health page is the same operation, recorded the same way, as
 * one from `npm run reconcile` or `POST /review/:id/resolve`.
 */
export class ReconcilerClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async latestRuns(limit = 50): Promise<ReconcileRun[]> {
    return (await this.request<{ runs: ReconcileRun[] }>('GET', `/runs?limit=${limit}`)).runs
  }

  /**
   * Sends one request and returns the reconciler's JSON answer. A 4xx with a ledger error code is
   * raised as that code with the reconciler's message (written for the caller), so the admin's
   * one error mapper answers it; anything else is PROVIDER_UNAVAILABLE.
   * @param authorization the caller's own `Authorization` header, sent instead of the admin's token.
   */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, authorization?: string): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: authorization ?? `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    } catch (err) {
      throw new LedgerError(
        'PROVIDER_UNAVAILABLE',
        'The reconciler does not answer; check that it runs and that LEDGER_RECONCILER_URL names it.',
        { cause: err },
      )
    }
    const answer = (await res.json().catch(() => undefined)) as
      (T & { error?: unknown; message?: unknown }) | undefined
    if (res.ok && answer !== undefined) return answer
    if (res.status === 401) {
      throw new LedgerError(
        'PROVIDER_UNAVAILABLE',
        'The reconciler refused LEDGER_RECONCILER_TOKEN; give the admin one of the tokens in its RECONCILER_TOKENS.',
      )
    }
    if (res.status < 500 && isErrorCode(answer?.error) && typeof answer.message === 'string') {
      throw new LedgerError(answer.error, answer.message)
    }
    throw new LedgerError('PROVIDER_UNAVAILABLE', `The reconciler answered ${res.status}; its log says why.`)
  }
}
