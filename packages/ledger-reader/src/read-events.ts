import { randomUUID } from 'node:crypto'
import { type LedgerError, type LedgerEvent, findLedgerError } from '@integration-ledger/core'
import type { EnvelopeCodec } from '@integration-ledger/registry'
import { type KafkaTransport, type OffsetRange, readRanges, topicRanges } from '@integration-ledger/sdk'
import type { LedgerEventRow } from './ledger-events.js'

/** What became of one row: its event as stored in Kafka, or why it could not be read. */
export type ReadOutcome =
  | { row: LedgerEventRow; ok: true; event: LedgerEvent }
  | { row: LedgerEventRow; ok: false; problem: 'missing' | 'undecodable' | 'mismatch'; message: string }

export interface ReadLedgerEventsOptions {
  transport: KafkaTransport
  codec: EnvelopeCodec
  /** Give up when a topic's records are not all read within this time. @default 30000 */
  timeoutMs?: number
}

const key = (topic: string, partition: number, offset: string) => `${topic}/${partition}/${offset}`

/**
 * Reads the byte-exact records of ledger rows from Kafka (their stored topic, partition and
 * offset) and decodes them. Per topic, each partition is read from its first to its last wanted
 * offset, so rows close together in the log cost one pass. Calls `onEvent` once per row, in the
 * order records arrive (partitions are read in parallel); rows whose record is gone (deleted from
 * the topic), does not decode, or carries another event ID are reported, not thrown.
 * @throws LedgerError when Kafka, the schema registry or `onEvent` fails.
 */
export async function readLedgerEvents(
  rows: readonly LedgerEventRow[],
  onEvent: (outcome: ReadOutcome) => Promise<void> | void,
  options: ReadLedgerEventsOptions,
): Promise<void> {
  const byTopic = new Map<string, LedgerEventRow[]>()
  for (const row of rows) byTopic.set(row.kafka.topic, [...(byTopic.get(row.kafka.topic) ?? []), row])
  for (const [topic, wanted] of byTopic) {
    const pending = new Map(wanted.map((row) => [key(topic, row.kafka.partition, row.kafka.offset), row]))
    const stored = await topicRanges(options.transport, topic)
    const ranges = new Map<number, OffsetRange>()
    for (const row of wanted) {
      const at = BigInt(row.kafka.offset)
      const kept = stored.get(row.kafka.partition)
      if (!kept || at < kept.from || at >= kept.end) continue
      const range = ranges.get(row.kafka.partition)
      ranges.set(row.kafka.partition, {
        from: range && range.from < at ? range.from : at,
        end: range && range.end > at + 1n ? range.end : at + 1n,
      })
    }
    await readRanges(options.transport, topic, ranges, {
      groupId: `ledger.reader.${randomUUID()}`,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      onRecords: async (partition, records) => {
        for (const record of records) {
          const id = key(topic, partition, record.offset)
          const row = pending.get(id)
          if (!row) continue
          pending.delete(id)
          await onEvent(await decodeRow(row, record.value, options.codec))
        }
      },
    })
    for (const row of pending.values()) {
      await onEvent({
        row,
        ok: false,
        problem: 'missing',
        message: `Kafka no longer holds ${key(topic, row.kafka.partition, row.kafka.offset)}, where the ledger table says event ${row.eventId} is; the topic's records were deleted or its retention shortened.`,
      })
    }
  }
}

async function decodeRow(
  row: LedgerEventRow,
  value: Buffer | null,
  codec: EnvelopeCodec,
): Promise<ReadOutcome> {
  const where = key(row.kafka.topic, row.kafka.partition, row.kafka.offset)
  if (value === null) {
    return { row, ok: false, problem: 'undecodable', message: `The record at ${where} has no value.` }
  }
  let event: LedgerEvent
  try {
    event = await codec.decode(value)
  } catch (err) {
    const error: LedgerError | undefined = findLedgerError(err)
    if (error?.code !== 'DECODE_FAILED') throw err
    return { row, ok: false, problem: 'undecodable', message: `The record at ${where}: ${error.message}` }
  }
  if (event.eventId !== row.eventId) {
    return {
      row,
      ok: false,
      problem: 'mismatch',
      message: `The record at ${where} holds event ${event.eventId}, not ${row.eventId} as the ledger table says.`,
    }
  }
  return { row, ok: true, event }
}
