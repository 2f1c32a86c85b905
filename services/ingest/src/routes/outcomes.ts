import { TransientError, findLedgerError } from '@integration-ledger/core'
import type { FastifyReply } from 'fastify'
import type { RateDecision } from '../guards/rate-limiter.js'
import type { IngestMetrics } from '../metrics.js'

/** Counts a request that failed with a thrown error, by its code, then lets the error handler answer. */
export function countFailure(metrics: IngestMetrics, source: string, err: unknown): never {
  const reason = findLedgerError(err)?.code.toLowerCase() ?? 'internal'
  metrics.rejected.inc({ source, reason })
  throw err
}

/**
 * Passes when the source's budget allows one more request.
 * @throws TransientError RATE_LIMITED (429) with Retry-After when it is spent.
 */
export function assertWithinBudget(decision: RateDecision, metrics: IngestMetrics, source: string): void {
  if (decision.ok) return
  metrics.rejected.inc({ source, reason: 'rate_limited' })
  throw new TransientError(
    'RATE_LIMITED',
    `Source "${source}" is over its request budget; retry after the Retry-After delay.`,
    { retryAfterMs: decision.retryAfterMs },
  )
}

/**
 * Ends the connection after a refusal answered before the body was read: otherwise node reads
 * and discards the whole announced body to keep the connection, which a hostile sender can make
 * as large as it likes.
 */
export function closeUnreadBody(reply: FastifyReply): void {
  void reply.header('connection', 'close')
}
