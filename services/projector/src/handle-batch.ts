import { PermanentError } from '@integration-ledger/core'
import type { BatchContext, ConsumedEvent } from '@integration-ledger/sdk'
import type { LedgerStore } from './db/ledger-store.js'
import type { ProjectorMetrics } from './metrics.js'
import { toLedgerRecord, type LedgerRecord } from './record.js'

/**
 * The projector's batch handler: checks every record, then applies the batch in one statement.
 * All or nothing, as the SDK expects: one record that can never apply fails the batch with a
 * `PermanentError` before anything is written, the SDK retries record by record, and only that
 * record reaches the DLQ.
 */
export function createBatchHandler(
  store: LedgerStore,
  metrics: ProjectorMetrics,
): (events: readonly ConsumedEvent[], ctx?: BatchContext) => Promise<void> {
  return async (events, ctx) => {
    const handledAtMs = Date.now()
    const records: LedgerRecord[] = []
    const problems: string[] = []
    // `origin`: where the record was first read, also when a retry tier delivered it.
    for (const { event, origin } of events) {
      const checked = toLedgerRecord(event, origin)
      if (checked.ok) records.push(checked.record)
      else problems.push(`${event.eventId}: ${checked.reason}`)
    }
    if (problems.length > 0) {
      // Counted on the SDK's record-by-record retry only, so a bad record is counted once.
      if (events.length === 1) metrics.observeRejected(1)
      throw new PermanentError('VALIDATION_FAILED', `Events that can never apply: ${problems.join('; ')}`, {
        details: { rejected: problems.length },
      })
    }
    const started = process.hrtime.bigint()
    const outcome = await store.applyBatch(records)
    metrics.observeBatch(outcome, records.length, Number(process.hrtime.bigint() - started) / 1e9)
    if (ctx?.isRetry !== true) {
      const first = events.filter((e) => e.attempt === 0)
      metrics.observeLatency(
        first.map((e) => ({ producedAtMs: e.record.timestamp, receivedAtMs: e.event.receivedAt.getTime() })),
        handledAtMs,
        Date.now(),
      )
    }
  }
}
