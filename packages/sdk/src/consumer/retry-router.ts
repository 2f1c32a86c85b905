import { describeError, findLedgerError, isRetryable } from '@integration-ledger/core'
import type { IncomingRecord, OutgoingRecord } from '@integration-ledger/kafka'
import { dlqTopicName, retryTopicName, type RetryTier } from '../topology.js'
import { RETRY_HEADERS, readRetryState, withoutRetryHeaders, type FailureKind } from './retry-headers.js'

/** Where a failed record goes next. */
export type Route =
  | { kind: 'retry'; tier: RetryTier; record: OutgoingRecord }
  | { kind: 'dlq'; failureKind: Exclude<FailureKind, 'transient'>; record: OutgoingRecord }

export interface RoutePolicy {
  groupId: string
  tiers: readonly RetryTier[]
  maxAttempts: number
}

/**
 * Decides retry tier or DLQ for a record whose handling (or decoding) failed, and builds the
 * record to produce there. Pure: `now` is passed in so tests can pin time.
 *
 * - poison (`DECODE_FAILED`) and other permanent errors go to the DLQ at once;
 * - transient errors (retryable ledger errors, and errors nobody classified, see `isRetryable`)
 *   go to tier `min(attempt, tiers.length - 1)` until `maxAttempts` retries were made, then to the
 *   DLQ as exhausted.
 */
export function routeFailure(record: IncomingRecord, err: unknown, policy: RoutePolicy, now: Date): Route {
  const state = readRetryState(record)
  const { errorClass, message } = describeError(err)
  const headers: Record<string, string> = {
    ...withoutRetryHeaders(record.headers),
    [RETRY_HEADERS.originalTopic]: state.origin.topic,
    [RETRY_HEADERS.originalPartition]: String(state.origin.partition),
    [RETRY_HEADERS.originalOffset]: state.origin.offset,
    [RETRY_HEADERS.firstFailureAt]: (state.firstFailureAt ?? now).toISOString(),
    [RETRY_HEADERS.lastFailureAt]: now.toISOString(),
    [RETRY_HEADERS.errorClass]: errorClass,
    [RETRY_HEADERS.errorMessage]: message,
    [RETRY_HEADERS.consumerGroup]: policy.groupId,
  }
  const base = { key: record.key?.toString() ?? null, value: record.value ?? Buffer.alloc(0) }

  if (!isRetryable(err) || state.attempt >= policy.maxAttempts) {
    const failureKind = !isRetryable(err)
      ? findLedgerError(err)?.code === 'DECODE_FAILED'
        ? 'poison'
        : 'permanent'
      : 'exhausted'
    return {
      kind: 'dlq',
      failureKind,
      record: {
        ...base,
        topic: dlqTopicName(policy.groupId),
        headers: {
          ...headers,
          [RETRY_HEADERS.attempt]: String(state.attempt),
          [RETRY_HEADERS.failureKind]: failureKind,
        },
      },
    }
  }

  const tier = policy.tiers[Math.min(state.attempt, policy.tiers.length - 1)]
  if (!tier) throw new Error('routeFailure: the retry policy has no tiers')
  return {
    kind: 'retry',
    tier,
    record: {
      ...base,
      topic: retryTopicName(policy.groupId, tier),
      headers: {
        ...headers,
        [RETRY_HEADERS.attempt]: String(state.attempt + 1),
        [RETRY_HEADERS.failureKind]: 'transient',
        [RETRY_HEADERS.dueAt]: new Date(now.getTime() + tier.delayMs).toISOString(),
      },
    },
  }
}
