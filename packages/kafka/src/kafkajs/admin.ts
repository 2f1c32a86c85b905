import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin } from 'kafkajs'
import { toBrokerError } from '../errors.js'
import type { AdminTransport, PartitionOffsets, TopicPartitionOffset, TopicSpec } from '../types.js'

/** How long `ensureTopics` keeps retrying a broker that is still starting. */
const ENSURE_TOPICS_TIMEOUT_MS = 30_000

async function createTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: specs.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
        configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
      })),
    })
  } catch (err) {
    // Another replica may have created the same topics between our list and create.
    if (!(err instanceof Error && /already exists/i.test(err.message))) throw err
  }
}

export function createKafkajsAdmin(admin: Admin): AdminTransport {
  return {
    async connect() {
      try {
        await admin.connect()
      } catch (err) {
        throw toBrokerError(err, 'admin connect')
      }
    },

    async ensureTopics(specs: readonly TopicSpec[]) {
      // A broker that has just started answers requests a moment before the controller lets it
      // host partitions ("This server does not host this topic-partition"); services that start
      // with it keep trying instead of failing their start-up.
      const deadline = Date.now() + ENSURE_TOPICS_TIMEOUT_MS
      const created = new Set<string>()
      for (let attempt = 0; ; attempt++) {
        try {
          const existing = new Set(await admin.listTopics())
          const missing = specs.filter((spec) => !existing.has(spec.topic))
          if (missing.length === 0) return [...created]
          await createTopics(admin, missing)
          for (const spec of missing) created.add(spec.topic)
          return [...created]
        } catch (err) {
          const error = toBrokerError(err, 'create topics')
          if (!error.retryable || Date.now() > deadline) throw error
          await sleep(Math.min(2000, 250 * 2 ** attempt))
        }
      }
    },

    listTopics: () => admin.listTopics(),

    async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
      const offsets = await admin.fetchTopicOffsets(topic)
      return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
    },

    async groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
      return (entry?.partitions ?? []).map((p) => ({ topic, partition: p.partition, offset: p.offset }))
    },

    async deleteTopics(topics: readonly string[]) {
      await admin.deleteTopics({ topics: [...topics] })
    },

    disconnect: () => admin.disconnect(),
  }
}
