import { randomUUID } from 'node:crypto'
import { LedgerError } from '@ledger/core'
import type { IncomingRecord, KafkaTransport } from '@ledger/kafka'

export interface ReadTopicOptions {
  /** Give up when the end is not reached within this time. @default 30000 */
  timeoutMs?: number
}

/**
 * Reads every record a topic holds right now (up to each partition's high watermark), in
 * partition then offset order. The client has no group-less assign, so this joins a throwaway
 * group that never commits; the broker forgets it once it is empty. Meant for small topics such as
 * DLQs, not for event topics.
 */
export async function readTopic(
  transport: KafkaTransport,
  topic: string,
  options: ReadTopicOptions = {},
): Promise<IncomingRecord[]> {
  const admin = transport.admin()
  await admin.connect()
  let ends: Map<number, bigint>
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new LedgerError(
        'NOT_FOUND',
        `Topic "${topic}" does not exist; check the name (a group's DLQ is <group>.dlq, created when the group first subscribes).`,
      )
    }
    ends = new Map(
      (await admin.topicOffsets(topic))
        .filter((o) => BigInt(o.high) > BigInt(o.low))
        .map((o) => [o.partition, BigInt(o.high)]),
    )
  } finally {
    await admin.disconnect()
  }
  if (ends.size === 0) return []

  const records: IncomingRecord[] = []
  const consumer = transport.consumer({ groupId: `ledger.reader.${randomUUID()}` })
  await consumer.connect()
  try {
    await consumer.subscribe([topic], { fromBeginning: true })
    const timeoutMs = options.timeoutMs ?? 30_000
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new LedgerError(
              'BROKER_TIMEOUT',
              `Reading topic "${topic}" did not reach its end within ${timeoutMs} ms; retry, or raise the timeout.`,
              {
                retryable: true,
              },
            ),
          ),
        timeoutMs,
      )
      consumer
        .run({
          eachBatch: async (batch) => {
            const end = ends.get(batch.partition)
            if (end === undefined) return
            for (const record of batch.records) if (BigInt(record.offset) < end) records.push(record)
            const last = batch.records[batch.records.length - 1]
            if (last && BigInt(last.offset) + 1n >= end) ends.delete(batch.partition)
            if (ends.size === 0) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1))
}
