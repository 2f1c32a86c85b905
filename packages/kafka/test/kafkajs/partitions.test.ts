import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cleanupScope, stackEnv, uniqueName } from '@integration-ledger/testing'
import kafkajs, { type PartitionMetadata } from 'kafkajs'
import { createPartitionChooser, kafkajsPartitionSource } from '../../src/kafkajs/partitions.js'
import { produceVerdict } from '../../src/kafkajs/produce-verdict.js'
import { producerOnFreshTopic } from '../helpers.js'

const { Kafka, KafkaJSProtocolError, logLevel } = kafkajs

const partitions = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }))

describe('createPartitionChooser', () => {
  it('asks again after five minutes, keeps what it knows for ten seconds when asking fails, but not for a topic that is gone', async () => {
    let clock = 0
    const answers: (PartitionMetadata[] | Error)[] = [
      partitions(3),
      new Error('connection refused'),
      new KafkaJSProtocolError({
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
        code: 3,
        retriable: true,
        message: 'gone',
      } as never),
    ]
    let asked = 0
    const chooser = createPartitionChooser(
      {
        layout: async () => {
          const answer = answers[asked++]
          if (answer instanceof Error || answer === undefined) throw answer ?? new Error('no more')
          return { partitions: answer, brokers: 1 }
        },
      },
      () => clock,
    )
    assert.equal((await chooser.layoutOf('t')).partitions.length, 3)
    assert.equal((await chooser.layoutOf('t')).partitions.length, 3)
    assert.equal(asked, 1, 'cached')
    clock += 300_000
    assert.equal((await chooser.layoutOf('t')).partitions.length, 3, 'a failed refresh keeps the known list')
    assert.equal(asked, 2)
    assert.equal((await chooser.layoutOf('t')).partitions.length, 3)
    assert.equal(asked, 2, 'not asked again at once')
    clock += 10_000
    await assert.rejects(chooser.layoutOf('t'), (err: unknown) => produceVerdict(err) === 'topic-missing')
  })

  it('writes the partition kafkajs itself would pick into the message, so every resend goes there', () => {
    const chooser = createPartitionChooser({ layout: async () => ({ partitions: [], brokers: 1 }) })
    const kafkajsPick = kafkajs.Partitioners.DefaultPartitioner()
    for (let i = 0; i < 50; i++) {
      const message = { key: `entity-${i}`, value: 'v' }
      const expected = kafkajsPick({ topic: 't', partitionMetadata: partitions(6), message: { ...message } })
      assert.equal(chooser.choose('t', partitions(6), message), expected)
      assert.equal((message as { partition?: number }).partition, expected)
    }
  })
})

describe('kafkajsPartitionSource against the real broker', () => {
  it('answers a topic’s partitions and the broker count, and a missing topic UNKNOWN_TOPIC_OR_PARTITION without creating it', async (test) => {
    const t = cleanupScope(test)
    const { admin, topic } = await producerOnFreshTopic(t, 'seam.partitions', { partitions: 4 })
    const source = kafkajsPartitionSource(
      new Kafka({ brokers: stackEnv().kafkaBrokers, logLevel: logLevel.NOTHING }),
    )
    t.after(() => source.disconnect())
    const layout = await source.layout(topic)
    assert.deepEqual(layout.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3])
    assert.equal(layout.brokers, stackEnv().kafkaBrokers.length)
    const missing = uniqueName('seam.partitions.missing')
    await assert.rejects(source.layout(missing), (err: unknown) => produceVerdict(err) === 'topic-missing')
    assert.equal((await admin.listTopics()).includes(missing), false)
  })

  it('connects no new client once disconnected (a send still running at close)', async (test) => {
    const t = cleanupScope(test)
    const { topic } = await producerOnFreshTopic(t, 'seam.partitions.closed')
    const source = kafkajsPartitionSource(
      new Kafka({ brokers: stackEnv().kafkaBrokers, logLevel: logLevel.NOTHING }),
    )
    await source.layout(topic)
    await source.disconnect()
    await assert.rejects(source.layout(topic), /closed/)
  })
})
