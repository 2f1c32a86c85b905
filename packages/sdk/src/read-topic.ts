import { randomUUID } from 'node:crypto'
import { LedgerError } from '@integration-ledger/core'
import type { IncomingRecord, KafkaTransport } from '@integration-ledger/kafka'

/** Offsets `[from, end)` of one partition. */
export interface OffsetRange {
  from: bigint
  end: bigint
}

export interface ReadTopicOptions {
  /** Give up when the end is not reached within this time. @default 30000 */
  timeoutMs?: number
}

export interface ReadRangesOptions extends ReadTopicOptions {
  /** The consumer group to read through. */
  groupId: string
  /**
   * Commit the group's offset after each batch. Positions stay the caller's (each partition is
   * sought to its range); a committed offset only saves a long-lived group's first fetch from
   * starting at the beginning, which kafkajs does for partitions without one. @default false
   */
  commit?: boolean
  /**
   * Handles one fetched batch's records that fall inside the partition's range, in offset order;
   * the partition's next batch waits for it.
   */
  onRecords(partition: number, records: IncomingRecord[]): Promise<void>
}

/**
 * Each partition's stored offsets, `[low watermark, high watermark)`, as of now. NOT_FOUND when the
 * topic does not exist.
 */
export async function topicRanges(
  transport: KafkaTransport,
  topic: string,
): Promise<Map<number, OffsetRange>> {
  const admin = transport.admin()
  await admin.connect()
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new LedgerError(
        'NOT_FOUND',
        `Topic "${topic}" does not exist; check the name (a group's DLQ is <group>.dlq, created when the group first subscribes).`,
      )
    }
    return new Map(
      (await admin.topicOffsets(topic)).map((o) => [
        o.partition,
        { from: BigInt(o.low), end: BigInt(o.high) },
      ]),
    )
  } finally {
    await admin.disconnect()
  }
}

/**
 * Reads the given offset ranges of a topic, partitions in parallel, each in offset order, and
 * (almost) nothing else: each partition is sought to its range's start and paused once its end is
 * reached. The client has no group-less assign, so this joins `groupId`. Without a committed offset
 * in that group, kafkajs' first fetch of a partition starts at the beginning despite the seek: one
 * batch is read and dropped.
 */
export async function readRanges(
  transport: KafkaTransport,
  topic: string,
  ranges: ReadonlyMap<number, OffsetRange>,
  options: ReadRangesOptions,
): Promise<void> {
  const pending = new Map([...ranges].filter(([, r]) => r.end > r.from))
  if (pending.size === 0) return
  const next = new Map([...pending].map(([p, r]) => [p, r.from]))
  const idle = [...ranges.keys()].filter((p) => !pending.has(p))
  const consumer = transport.consumer({
    groupId: options.groupId,
    events: {
      // Runs when the group is joined, before the first fetch: each partition starts at its range
      // (not at the group's committed offset or the beginning) and the others are not fetched.
      onAssign: () => {
        for (const [partition, from] of next) consumer.seek({ topic, partition, offset: String(from) })
        if (idle.length > 0) consumer.pause([{ topic, partitions: idle }])
      },
    },
  })
  await consumer.connect()
  try {
    await consumer.subscribe([topic], { fromBeginning: true })
    const timeoutMs = options.timeoutMs ?? 30_000
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (err?: unknown) => {
        settled = true
        clearTimeout(timer)
        if (err === undefined) resolve()
        else reject(err instanceof Error ? err : new Error(`Reading topic "${topic}" failed`, { cause: err }))
      }
      const timer = setTimeout(() => {
        const left = [...pending].reduce((n, [p, r]) => n + r.end - (next.get(p) ?? r.from), 0n)
        settle(
          new LedgerError(
            'BROKER_TIMEOUT',
            `Reading topic "${topic}" did not finish within ${timeoutMs} ms (${left} records left); retry, or raise the timeout.`,
            { retryable: true },
          ),
        )
      }, timeoutMs)
      const stop = (partition: number) => consumer.pause([{ topic, partitions: [partition] }])
      consumer
        .run({
          eachBatch: async (batch) => {
            if (settled) return
            const range = pending.get(batch.partition)
            const at = next.get(batch.partition)
            if (range === undefined || at === undefined) return stop(batch.partition)
            const first = batch.records[0]
            const last = batch.records.at(-1)
            if (!first || !last) return
            // A batch fetched before a seek took effect (after a rebalance, say): start over there.
            if (BigInt(first.offset) > at || BigInt(last.offset) < at) {
              consumer.seek({ topic, partition: batch.partition, offset: String(at) })
              return
            }
            const inside = batch.records.filter((r) => BigInt(r.offset) >= at && BigInt(r.offset) < range.end)
            try {
              if (inside.length > 0) await options.onRecords(batch.partition, inside)
            } catch (err) {
              // The caller's failure (its database is down, say) ends the read: retrying the
              // batch here would only hide it until the timeout.
              settle(err)
              return
            }
            next.set(batch.partition, BigInt(last.offset) + 1n)
            if (options.commit) {
              // Best effort: the caller's positions are what counts.
              await consumer
                .commit([{ topic, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) }])
                .catch(() => {})
            }
            if (BigInt(last.offset) + 1n >= range.end) {
              pending.delete(batch.partition)
              stop(batch.partition)
              if (pending.size === 0) settle()
            }
          },
        })
        .catch((err: unknown) => settle(err ?? new Error(`Reading topic "${topic}" stopped`)))
    })
  } finally {
    await consumer.disconnect()
  }
}

/**
 * Reads every record a topic holds right now (up to each partition's high watermark), in
 * partition then offset order, through a throwaway group the broker forgets once it is empty.
 * Meant for small topics (tests read retry topics with it), not for event topics or DLQs: DLQs are
 * read through their index (`DlqIndexer`).
 */
export async function readTopic(
  transport: KafkaTransport,
  topic: string,
  options: ReadTopicOptions = {},
): Promise<IncomingRecord[]> {
  const records: IncomingRecord[] = []
  await readRanges(transport, topic, await topicRanges(transport, topic), {
    ...options,
    groupId: `ledger.reader.${randomUUID()}`,
    onRecords: async (_, batch) => {
      records.push(...batch)
    },
  })
  return records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1))
}
