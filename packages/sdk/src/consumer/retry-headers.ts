import type { IncomingRecord } from '@integration-ledger/kafka'
import type { RecordOrigin } from './types.js'

/**
 * Headers the consumer adds when it moves a record to a retry tier or the DLQ. Values are UTF-8
 * strings; times are ISO 8601. The original record's own headers are kept alongside.
 */
export const RETRY_HEADERS = {
  originalTopic: 'ledger-original-topic',
  originalPartition: 'ledger-original-partition',
  originalOffset: 'ledger-original-offset',
  /** Retries made so far, counting the one this record is waiting for. */
  attempt: 'ledger-attempt',
  firstFailureAt: 'ledger-first-failure-at',
  lastFailureAt: 'ledger-last-failure-at',
  errorClass: 'ledger-error-class',
  errorMessage: 'ledger-error-message',
  /** transient (in a retry tier), permanent, poison or exhausted (in the DLQ). */
  failureKind: 'ledger-failure-kind',
  /** When a retry-tier record may be delivered again; absent on DLQ records. */
  dueAt: 'ledger-due-at',
  consumerGroup: 'ledger-consumer-group',
} as const

export type FailureKind = 'transient' | 'permanent' | 'poison' | 'exhausted'

/** What the retry headers of a record say; defaults describe a record that never failed. */
export interface RetryState {
  origin: RecordOrigin
  attempt: number
  firstFailureAt: Date | undefined
  dueAt: Date | undefined
  errorClass: string | undefined
  errorMessage: string | undefined
  failureKind: FailureKind | undefined
}

const ALL_HEADERS = new Set<string>(Object.values(RETRY_HEADERS))

/** Reads the retry state of a record (first delivery when it carries no retry headers). */
export function readRetryState(
  record: Pick<IncomingRecord, 'topic' | 'partition' | 'offset' | 'headers'>,
): RetryState {
  const h = record.headers
  const originalTopic = h[RETRY_HEADERS.originalTopic]
  const date = (value: string | undefined) => (value === undefined ? undefined : new Date(value))
  return {
    origin:
      originalTopic === undefined
        ? { topic: record.topic, partition: record.partition, offset: record.offset }
        : {
            topic: originalTopic,
            partition: Number(h[RETRY_HEADERS.originalPartition] ?? record.partition),
            offset: h[RETRY_HEADERS.originalOffset] ?? record.offset,
          },
    attempt: Number(h[RETRY_HEADERS.attempt] ?? 0),
    firstFailureAt: date(h[RETRY_HEADERS.firstFailureAt]),
    dueAt: date(h[RETRY_HEADERS.dueAt]),
    errorClass: h[RETRY_HEADERS.errorClass],
    errorMessage: h[RETRY_HEADERS.errorMessage],
    failureKind: h[RETRY_HEADERS.failureKind] as FailureKind | undefined,
  }
}

/** The record's headers without the consumer's retry headers (what a replay sends on). */
export function withoutRetryHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !ALL_HEADERS.has(name)))
}
