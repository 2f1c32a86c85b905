import type { LedgerEvent } from '@integration-ledger/core'
import { type IncomingRecord } from '@integration-ledger/kafka'
import { type CleanupHost, cleanupScope, stackEnv, uniqueName } from '@integration-ledger/testing'
import {
  type ContractHandlers,
  EnvelopeCodec,
  type EventSchemas,
  type KafkaTransport,
  type SubscribeOptions,
  type SubscriptionSettings,
  type Subscription,
  buildEvent,
  createKafkajsTransport,
  subscribe,
} from '@integration-ledger/sdk'
import { readTopic } from '../../src/read-topic.js'

/** Tiers short enough for tests; names are unique per tier. */
export const TEST_TIERS = [
  { name: '200ms', delayMs: 200 },
  { name: '500ms', delayMs: 500 },
]

/** What the fixture fills in. */
type Bound = 'transport' | 'codec' | 'groupId' | 'topics'

export interface ConsumerFixture {
  transport: KafkaTransport
  codec: EnvelopeCodec
  topic: string
  group: string
  /** Registry-encodes and produces events to the test topic, keyed by entity ID; returns each event's partition. */
  publish(events: LedgerEvent[]): Promise<number[]>
  /** Produces raw bytes (poison) to the test topic. */
  produceRaw(value: Buffer, key?: string): Promise<void>
  subscribe(options: Omit<SubscribeOptions, Bound>): Promise<Subscription>
  /** The typed form: a contract and its handlers. */
  subscribe<S extends EventSchemas>(
    options: Omit<SubscriptionSettings, Bound> & ContractHandlers<S>,
  ): Promise<Subscription>
  read(topic: string): Promise<IncomingRecord[]>
  cleanup: CleanupHost
}

/** A unique topic (created here, deleted after) and group, and helpers bound to them. */
export async function consumerFixture(t: CleanupHost, partitions = 2): Promise<ConsumerFixture> {
  const cleanup = cleanupScope(t)
  const stack = stackEnv()
  const transport = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'sdk-consumer-test' })
  const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
  const topic = uniqueName('test.events')
  const group = uniqueName('test.group')
  const admin = transport.admin()
  await admin.connect()
  await admin.ensureTopics([{ topic, partitions, replicationFactor: 1, config: {} }])
  cleanup.after(async () => {
    const owned = (await admin.listTopics()).filter((name) => name === topic || name.startsWith(`${group}.`))
    await admin.deleteTopics(owned).catch(() => {})
    await admin.disconnect()
  })
  const producer = transport.producer()
  await producer.connect()
  cleanup.after(() => producer.disconnect())

  return {
    transport,
    codec,
    topic,
    group,
    cleanup,
    async publish(events) {
      const partitionsOf: number[] = []
      // One request per event so each acknowledgement tells which partition the key went to.
      for (const e of events) {
        const [ack] = await producer.send([{ topic, key: e.entityId, value: await codec.encode(topic, e) }])
        partitionsOf.push(ack?.partition ?? -1)
      }
      return partitionsOf
    },
    async produceRaw(value, key = 'poison') {
      await producer.send([{ topic, key, value }])
    },
    async subscribe(
      options:
        Omit<SubscribeOptions, Bound> | (Omit<SubscriptionSettings, Bound> & ContractHandlers<EventSchemas>),
    ) {
      const settings = {
        transport,
        codec,
        groupId: group,
        topics: [topic],
        retry: { tiers: TEST_TIERS },
        sinkBreaker: { initialBackoffMs: 200, maxBackoffMs: 1000 },
        topicPartitions: partitions,
      }
      const subscription = await subscribe({ ...settings, ...options })
      cleanup.after(() => subscription.close())
      return subscription
    },
    read: (name) => readTopic(transport, name),
  }
}

let counter = 0
/** A small event for entity `entityId` at `version`. */
export function testEvent(entityId: string, version: number, payload: unknown = { n: version }): LedgerEvent {
  counter++
  return buildEvent({
    source: 'test',
    providerEventId: `${entityId}-${version}-${counter}-${Date.now()}`,
    type: 'test.updated',
    entityType: 'thing',
    entityId,
    entityVersion: version,
    payload,
  })
}
