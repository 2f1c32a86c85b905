import type { Consumer, KafkaMessage, TopicOffsets } from 'kafkajs'
import { toBrokerError } from '../errors.js'
import type {
  ConsumerGroupEvents,
  ConsumerRunOptions,
  ConsumerTransport,
  IncomingRecord,
  TopicPartitionOffset,
  TopicPartitions,
} from '../types.js'
import { decodeHeaders } from './headers.js'

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: decodeHeaders(message.headers),
    timestamp: Number(message.timestamp),
  }
}

export function createKafkajsConsumer(
  consumer: Consumer,
  events: ConsumerGroupEvents = {},
): ConsumerTransport {
  const { GROUP_JOIN, CRASH } = consumer.events
  if (events.onAssign) {
    const { onAssign } = events
    consumer.on(GROUP_JOIN, ({ payload }) => {
      onAssign(Object.entries(payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions })))
    })
  }
  if (events.onCrash) {
    const { onCrash } = events
    consumer.on(CRASH, ({ payload }) => onCrash(payload.error, { restart: payload.restart }))
  }

  // kafkajs' consumer.commitOffsets() silently drops commits once stop() has begun, which would
  // lose the in-flight batch's commit during a graceful shutdown. The batch payload's commit goes
  // straight to the group and still works then; it is captured from the first batch.
  let groupCommit: ((offsets: { topics: TopicOffsets[] }) => Promise<void>) | undefined
  /** Per partition, the batch being handled (with `prefetchBatches`): the next one waits for it. */
  const inHand = new Map<string, Promise<void>>()

  return {
    async connect() {
      try {
        await consumer.connect()
      } catch (err) {
        throw toBrokerError(err, 'consumer connect')
      }
    },

    async subscribe(topics, options = {}) {
      await consumer.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning ?? true })
    },

    async run(options: ConsumerRunOptions) {
      await consumer.run({
        autoCommit: false,
        // Resolving (not committing) the batch's last offset moves the next fetch past it. Code
        // that stops early calls seek(), which overrides the resolved position and marks the
        // batch stale; commits stay explicit.
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch: async (payload) => {
          const { batch } = payload
          groupCommit ??= (offsets) => payload.commitOffsetsIfNecessary(offsets)
          const key = `${batch.topic}\u0000${batch.partition}`
          const before = inHand.get(key)
          inHand.delete(key)
          // A failure of the batch before is thrown here, to kafkajs, as if it had been awaited.
          await before
          // Stale also when the batch before seeked its partition back after this one was fetched.
          if (!payload.isRunning() || payload.isStale()) return
          const handling = options.eachBatch({
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            records: batch.messages.map((m) => toIncoming(batch.topic, batch.partition, m)),
            // Not `!isRunning()`: during a graceful stop the in-flight batch must still commit.
            isStale: () => payload.isStale(),
            heartbeat: () => payload.heartbeat(),
          })
          if (!options.prefetchBatches) return handling
          const first = batch.firstOffset()
          const inFlight = handling.catch((err: unknown) => {
            // kafkajs would retry a failed batch; it has fetched past this one, so it is read again.
            if (first !== null)
              consumer.seek({ topic: batch.topic, partition: batch.partition, offset: first })
            throw err
          })
          inHand.set(key, inFlight)
          // Awaited by the partition's next batch or by disconnect; never an unhandled rejection.
          inFlight.catch(() => {})
        },
      })
    },

    async commit(offsets: readonly TopicPartitionOffset[]) {
      if (offsets.length === 0) return
      if (!groupCommit) {
        await consumer.commitOffsets(
          offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
        )
        return
      }
      const byTopic = new Map<string, { partition: number; offset: string }[]>()
      for (const o of offsets) {
        const list = byTopic.get(o.topic) ?? []
        list.push({ partition: o.partition, offset: o.offset })
        byTopic.set(o.topic, list)
      }
      await groupCommit({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) })
    },

    pause(partitions: readonly TopicPartitions[]) {
      consumer.pause(
        partitions.map((p) =>
          p.partitions ? { topic: p.topic, partitions: p.partitions } : { topic: p.topic },
        ),
      )
    },

    resume(partitions: readonly TopicPartitions[]) {
      consumer.resume(
        partitions.map((p) =>
          p.partitions ? { topic: p.topic, partitions: p.partitions } : { topic: p.topic },
        ),
      )
    },

    seek(position: TopicPartitionOffset) {
      consumer.seek({ topic: position.topic, partition: position.partition, offset: position.offset })
    },

    async disconnect() {
      // Fetching stops first; batches still in hand finish and commit before the group is left.
      await consumer.stop()
      await Promise.allSettled(inHand.values())
      await consumer.disconnect()
    },
  }
}
