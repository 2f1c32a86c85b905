import { findLedgerError } from '@ledger/core'
import type { FastifyReply } from 'fastify'
import type { RateDecision } from '../guards/rate-limiter.js'
import type { IngestMetrics } from '../metrics.js'

/** Counts a request that failed with a thrown error, by its code, then lets the error handler answer. */
export function countFailure(metrics: IngestMetrics, source: string, err: unknown): never {
  const reason = findLedgerError(err)?.code.toLowerCase() ?? 'internal'
  metrics.rejected.inc({ source, reason })
  throw err
}

/** Answers 429 with Retry-After when the source's budget is spent; returns whether it did. */
export function refuseIfRateLimited(
  decision: RateDecision,
  reply: FastifyReply,
  metrics: IngestMetrics,
  source: string,
): boolean {
  if (decision.ok) return false
  metrics.rejected.inc({ source, reason: 'rate_limited' })
  void reply
    .status(429)
    .header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))))
    .send({
      error: 'RATE_LIMITED',
      message: `Source "${source}" is over its request budget; retry after the Retry-After delay.`,
    })
  return true
}
