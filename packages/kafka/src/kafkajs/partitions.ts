import { type Admin, type Kafka, Partitioners, type Message, type PartitionMetadata } from 'kafkajs'
import { produceVerdict } from './produce-verdict.js'

/** How long a topic's partition list is trusted before it is asked for again (kafkajs' own `metadataMaxAge`). */
const METADATA_MAX_AGE_MS = 300_000
/** After a refresh failed, how long the list already known is used before asking again. */
const REFRESH_RETRY_MS = 10_000

/** A topic's partitions, and how many brokers the cluster had when they were asked for. */
export interface TopicLayout {
  partitions: PartitionMetadata[]
  brokers: number
}

/** Where the producer learns a topic's partitions. */
export interface PartitionSource {
  /** Asks the cluster for a topic's partitions and its brokers (metadata requests); rejects as kafkajs does. */
  layout(topic: string): Promise<TopicLayout>
  disconnect(): Promise<void>
}

/**
 * Topic metadata through a kafkajs admin client of its own, connected on first use (kafkajs'
 * producer keeps its metadata to itself). It never creates topics (kafkajs' admin asks without
 * auto-creation), so a missing topic is answered UNKNOWN_TOPIC_OR_PARTITION.
 */
export function kafkajsPartitionSource(kafka: Kafka): PartitionSource {
  let admin: Promise<Admin> | undefined
  let closed = false
  return {
    async layout(topic) {
      // A send still running when the producer closes must not connect a client nobody closes.
      if (closed) throw new Error('The partition source is closed; the producer was disconnected.')
      admin ??= (async () => {
        const client = kafka.admin()
        await client.connect()
        return client
      })().catch((err: unknown) => {
        admin = undefined
        throw err
      })
      const client = await admin
      const [{ topics }, { brokers }] = await Promise.all([
        client.fetchTopicMetadata({ topics: [topic] }),
        client.describeCluster(),
      ])
      return { partitions: topics.find((t) => t.name === topic)?.partitions ?? [], brokers: brokers.length }
    },
    async disconnect() {
      closed = true
      const client = await admin?.catch(() => undefined)
      admin = undefined
      await client?.disconnect()
    },
  }
}

export interface PartitionChooser {
  /**
   * The topic's partitions and the cluster's broker count, from a cache refreshed every five
   * minutes. When a refresh fails the layout already known is used (for ten seconds, then asked
   * for again): partition counts change rarely, and a stale one only moves new keys' records to
   * partitions that still exist. Only a topic never seen waits for an answer.
   */
  layoutOf(topic: string): Promise<TopicLayout>
  /**
   * Writes into `message.partition` the partition kafkajs' default partitioner picks (murmur2 on
   * the key, as the Java client, so an entity's events land on the same partition whichever
   * client produced them; round robin without a key).
   */
  choose(topic: string, partitions: PartitionMetadata[], message: Message): number
  /** Drops what is known of a topic (it was deleted, or kafkajs sees other partitions). */
  forget(topic: string): void
}

/**
 * Partitions are chosen by the seam, before anything is sent, not by kafkajs while it sends: the
 * producer decides which partitions share a request (see producer.ts), so it must know each
 * record's partition first. Written into the message, the choice also holds for every
 * resend, even if the topic gained partitions meanwhile or the key is null (round robin): the
 * resend rule needs the same partition to get the same sequence numbers.
 */
export function createPartitionChooser(
  source: Pick<PartitionSource, 'layout'>,
  now: () => number = Date.now,
): PartitionChooser {
  const known = new Map<string, { layout: TopicLayout; at: number }>()
  const pick = Partitioners.DefaultPartitioner()
  return {
    async layoutOf(topic) {
      const cached = known.get(topic)
      if (cached && now() - cached.at < METADATA_MAX_AGE_MS) return cached.layout
      try {
        const layout = await source.layout(topic)
        // A topic being created: asked again, like any unanswered request.
        if (layout.partitions.length === 0)
          throw new Error(`Kafka reports no partitions for topic ${topic} yet`)
        known.set(topic, { layout, at: now() })
        return layout
      } catch (err) {
        if (cached && produceVerdict(err) !== 'topic-missing') {
          // Not asked again by every send while the cluster is slow to answer.
          known.set(topic, { ...cached, at: now() - METADATA_MAX_AGE_MS + REFRESH_RETRY_MS })
          return cached.layout
        }
        throw err
      }
    },
    choose(topic, partitions, message) {
      const partition = pick({ topic, partitionMetadata: partitions, message })
      message.partition = partition
      return partition
    },
    forget(topic) {
      known.delete(topic)
    },
  }
}
