import type { OutgoingRecord } from './types.js'

/**
 * The largest record batch every ledger topic accepts (the topic config `max.message.bytes`),
 * declared here once: the topology sets it on every topic it creates or finds below it, the
 * batching producer bounds each produce request by it, and the largest body a source may accept
 * is derived from it (`MAX_RAW_BODY_BYTES` in `@integration-ledger/sdk`). The broker's own default
 * (`message.max.bytes`, 1 MiB) does not matter: a topic's setting overrides it. 8 MiB: a 1 MiB
 * body default with room for sources that raise it (GitHub pushes and Shopify orders reach
 * hundreds of KB), still a size consumers fetch without special settings.
 */
export const MAX_RECORD_BATCH_BYTES = 8 * 1024 * 1024

/** Kafka's record-batch header (magic v2): offsets, CRC, producer ID, sequence, counts. */
const BATCH_HEADER_BYTES = 61
/** Per record: length, attributes, timestamp and offset deltas, key and value lengths (varints). */
const RECORD_OVERHEAD_BYTES = 24
/** Per header: key and value lengths (varints). */
const HEADER_OVERHEAD_BYTES = 10

/**
 * An upper estimate of the bytes a record takes in an uncompressed record batch, what the broker
 * compares with `max.message.bytes` (with compression the stored batch is smaller, never larger).
 */
export function recordBytes(record: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + record.value.length + Buffer.byteLength(record.key ?? '')
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + Buffer.byteLength(value)
  }
  return bytes
}

/** The size of a batch holding only `bytes` worth of records (`recordBytes`). */
export function batchBytes(recordsBytes: number): number {
  return BATCH_HEADER_BYTES + recordsBytes
}
