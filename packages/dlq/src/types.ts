import type { FailureKind } from '@integration-ledger/sdk'

/** Where a DLQ record is: its group's DLQ topic, partition and offset. */
export interface DlqRecordRef {
  partition: number
  offset: string
}

export type DlqStatus = 'pending' | 'replayed' | 'discarded'

/** One DLQ record as operators see it: failure headers, a summary of the envelope, its status. */
export interface DlqRecordView extends DlqRecordRef {
  group: string
  key: string | null
  /** When the record entered the DLQ. */
  deadLetteredAt: string
  originalTopic: string
  originalPartition: number
  originalOffset: string
  attempt: number
  failureKind: FailureKind | undefined
  errorClass: string | undefined
  errorMessage: string | undefined
  firstFailureAt: string | undefined
  /** Envelope summary; absent when the bytes do not decode (see `decodeError`). */
  event?: {
    eventId: string
    source: string
    type: string
    entityType: string
    entityId: string
    entityVersion: number
    occurredAt: string
    bodyBytes: number
  }
  decodeError?: string
  status: DlqStatus
  /** Who replayed or discarded it, when, and why. */
  resolution?: { action: 'replay' | 'discard'; actor: string; at: string; reason: string | null }
}

/** A DLQ record with every Kafka header, for `show`. */
export interface DlqRecordDetail extends DlqRecordView {
  headers: Record<string, string>
  valueBytes: number
}

export interface DlqFilter {
  /** The envelope's `source` (records that do not decode have none). */
  source?: string
  /** `ledger-error-class`, e.g. `DECODE_FAILED`. */
  errorClass?: string
  /** Dead-lettered at or after. */
  since?: Date
  /** Dead-lettered before. */
  until?: Date
  /** @default 'all' */
  status?: DlqStatus | 'all'
}

/** Which page of a list: at most `limit` records after the cursor `after`. */
export interface DlqPageOptions {
  /** @default 100 */
  limit?: number
  /** The `next` of the previous page (`<partition>:<offset>`): records after that one. */
  after?: string | undefined
}

/** One page of a list. */
export interface DlqPage {
  /** Records matching the filter, all pages together. */
  total: number
  records: DlqRecordView[]
  /** Cursor of the next page (`<partition>:<offset>` of this page's last record); absent on the last page. */
  next?: string
}

/** Which records a replay or discard acts on: listed ones, or every pending one matching a filter. */
export type DlqSelection = { records: DlqRecordRef[] } | { filter: DlqFilter }

export interface DlqActionOptions {
  /** Who acts (recorded). */
  actor: string
  /** Why (recorded). Required for discards. */
  reason?: string
  /**
   * The correlation ID of the request that acts (an admin API call, a CLI run). A replayed record
   * keeps its own correlation ID and carries this one beside it (`ledger-replay-correlation-id`).
   */
  correlationId?: string
  /** Called after each record; for progress output on large replays. */
  onProgress?: (progress: { done: number; total: number }) => void
}

export interface DlqActionResult {
  action: 'replay' | 'discard'
  /** Records replayed or discarded now. */
  done: DlqRecordRef[]
  /** Records already replayed or discarded earlier: left alone, recorded as skipped. */
  skipped: DlqRecordRef[]
  /** Listed records the DLQ does not hold. */
  missing: DlqRecordRef[]
}
