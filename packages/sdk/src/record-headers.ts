import type { LedgerEvent } from '@integration-ledger/core'

/**
 * Kafka headers a ledger record carries beside its envelope. The event ID and correlation ID are
 * copies of envelope fields, so that tools (`kcat`, the DLQ index) and the consumer's log lines
 * name them without decoding the value, also for a record that cannot be decoded. Retry tiers and
 * the DLQ keep a record's headers, and a replay keeps them too, so one correlation ID follows an
 * event from the request that brought it in to every log line written about it.
 */
export const RECORD_HEADERS = {
  eventId: 'ledger-event-id',
  correlationId: 'ledger-correlation-id',
  /** On a replayed record: the DLQ record it came from, `<dlq topic>/<partition>/<offset>`. */
  replayedFrom: 'ledger-replayed-from',
  /** On a replayed record: the correlation ID of the request (admin API call, CLI run) that replayed it. */
  replayCorrelationId: 'ledger-replay-correlation-id',
} as const

/** What log lines about a record name: its event, correlation ID and, once replayed, the replay. */
export interface RecordTrace {
  eventId?: string
  correlationId?: string
  replayedFrom?: string
  replayCorrelationId?: string
}

/**
 * The trace fields of a record, from its headers, else from its decoded event (records produced
 * before the headers existed carry only the envelope).
 */
export function recordTrace(
  headers: Record<string, string>,
  event?: Partial<Pick<LedgerEvent, 'eventId' | 'correlationId'>>,
): RecordTrace {
  const eventId = headers[RECORD_HEADERS.eventId] ?? event?.eventId
  const correlationId = headers[RECORD_HEADERS.correlationId] ?? event?.correlationId
  const replayedFrom = headers[RECORD_HEADERS.replayedFrom]
  const replayCorrelationId = headers[RECORD_HEADERS.replayCorrelationId]
  return {
    ...(eventId === undefined ? {} : { eventId }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(replayedFrom === undefined ? {} : { replayedFrom }),
    ...(replayCorrelationId === undefined ? {} : { replayCorrelationId }),
  }
}
