import {
  createKafkajsTransport,
  type IncomingRecord,
  type KafkaTransport,
  type TopicSpec,
} from '@integration-ledger/kafka'
import { type CleanupHost, stackEnv, uniqueName } from '@integration-ledger/testing'

/** A topic of `partitions` partitions on the shared broker, with `config` on top of retention. */
export const topicSpec = (topic: string, partitions = 3, config: Record<string, string> = {}): TopicSpec => ({
  topic,
  partitions,
  replicationFactor: 1,
  config: { 'retention.ms': '-1', ...config },
})

/**
 * A transport on the shared broker, a fresh topic (deleted afterwards) and a connected producer.
 * `spec` shapes the topic (partitions, configs such as a small `max.message.bytes`).
 */
export async function producerOnFreshTopic(
  t: CleanupHost,
  name: string,
  spec: { partitions?: number; config?: Record<string, string> } = {},
) {
  const transport = createKafkajsTransport({ brokers: stackEnv().kafkaBrokers })
  const admin = transport.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  const topic = uniqueName(name)
  await admin.ensureTopics([topicSpec(topic, spec.partitions, spec.config)])
  t.after(() => admin.deleteTopics([topic]))
  const producer = transport.producer()
  await producer.connect()
  t.after(() => producer.disconnect())
  return { transport, admin, topic, producer }
}

/** Every record stored in `topic` (as many as its high watermarks say), read by a fresh group. */
export async function readAll(
  t: CleanupHost,
  transport: KafkaTransport,
  topic: string,
): Promise<IncomingRecord[]> {
  const admin = transport.admin()
  await admin.connect()
  const expected = (await admin.topicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)
  await admin.disconnect()
  const seen: IncomingRecord[] = []
  if (expected === 0) return seen
  const consumer = transport.consumer({ groupId: uniqueName('read-all') })
  await consumer.connect()
  t.after(() => consumer.disconnect())
  await consumer.subscribe([topic], { fromBeginning: true })
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async (batch) => {
        seen.push(...batch.records)
        if (seen.length >= expected) resolve()
      },
    })
  })
  return seen
}
