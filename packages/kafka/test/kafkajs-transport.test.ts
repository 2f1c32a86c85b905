import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LedgerError } from '@integration-ledger/core'
import { createKafkajsTransport, type IncomingRecord, type TopicSpec } from '@integration-ledger/kafka'
import { cleanupScope, stackEnv, startKafkaBroker, uniqueName } from '@integration-ledger/testing'
import { producerOnFreshTopic, topicSpec } from './helpers.js'

const spec = (topic: string): TopicSpec => topicSpec(topic)

describe('kafkajs transport against the real broker', () => {
  it('creates declared topics once and reports nothing to create the second time', async (test) => {
    const t = cleanupScope(test)
    const admin = createKafkajsTransport({ brokers: stackEnv().kafkaBrokers }).admin()
    await admin.connect()
    t.after(() => admin.disconnect())
    const topic = uniqueName('transport.topics')
    t.after(() => admin.deleteTopics([topic]))
    assert.deepEqual(await admin.ensureTopics([spec(topic)]), [topic])
    assert.deepEqual(await admin.ensureTopics([spec(topic)]), [])
    assert.equal((await admin.topicOffsets(topic)).length, 3)
  })

  it('produces keyed records with headers that a consumer group reads back in order per key', async (test) => {
    const t = cleanupScope(test)
    const { transport, topic, producer } = await producerOnFreshTopic(t, 'transport.roundtrip')
    const records = Array.from({ length: 30 }, (_, i) => ({
      topic,
      key: `entity-${i % 3}`,
      value: Buffer.from(String(i)),
      headers: { 'x-seq': String(i) },
    }))
    const acks = await producer.send(records)
    assert(acks.length > 0 && acks.every((a) => a.topic === topic))

    const consumer = transport.consumer({ groupId: uniqueName('transport-group') })
    await consumer.connect()
    t.after(() => consumer.disconnect())
    await consumer.subscribe([topic])
    const seen: IncomingRecord[] = []
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async (batch) => {
          seen.push(...batch.records)
          const last = batch.records.at(-1)
          if (last)
            await consumer.commit([
              { topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
            ])
          if (seen.length === records.length) resolve()
        },
      })
    })
    for (const key of ['entity-0', 'entity-1', 'entity-2']) {
      const ofKey = seen.filter((r) => r.key?.toString() === key)
      assert.equal(new Set(ofKey.map((r) => r.partition)).size, 1, 'one key, one partition')
      const order = ofKey.map((r) => Number(r.headers['x-seq']))
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        'per-key order kept',
      )
    }
  })

  it('with prefetchBatches: one batch of a partition at a time, in order; a failed one is read again; disconnect waits for the batch in hand', async (test) => {
    const t = cleanupScope(test)
    const { transport, topic, producer } = await producerOnFreshTopic(t, 'transport.prefetch', {
      partitions: 1,
    })
    const total = 120
    // Twelve record batches on the broker; Kafka hands out whole record batches.
    for (let n = 0; n < total; n += 10) {
      await producer.send(
        Array.from({ length: 10 }, (_, i) => ({
          topic,
          key: 'k',
          value: Buffer.alloc(200, `${(n + i) % 10}`),
        })),
      )
    }
    // Small fetches: many batches, so the next one is fetched while one is in hand.
    const consumer = transport.consumer({
      groupId: uniqueName('transport-prefetch'),
      maxBytesPerPartition: 2048,
    })
    await consumer.connect()
    await consumer.subscribe([topic])
    const handled: number[] = []
    let inHandler = 0
    let most = 0
    let failedAt: number | undefined
    let release: (() => void) | undefined
    const lastBatchHeld = new Promise<void>((resolve) => (release = resolve))
    let heldSince: number | undefined
    const events: string[] = []
    await new Promise<void>((resolve) => {
      void consumer.run({
        prefetchBatches: true,
        eachBatch: async (batch) => {
          inHandler++
          most = Math.max(most, inHandler)
          try {
            const offsets = batch.records.map((r) => Number(r.offset))
            const first = offsets[0] ?? 0
            if (failedAt === undefined && first > 30) {
              failedAt = first
              throw new Error('the handler failed once')
            }
            handled.push(...offsets)
            if (handled.includes(total - 1) && heldSince === undefined) {
              heldSince = Date.now()
              resolve()
              await lastBatchHeld
              events.push('last batch finished')
            }
            await consumer.commit([{ topic, partition: 0, offset: String((offsets.at(-1) ?? 0) + 1) }])
          } finally {
            inHandler--
          }
        },
      })
    })
    const disconnected = consumer.disconnect().then(() => events.push('disconnected'))
    await sleep(300)
    release?.()
    await disconnected
    assert.deepEqual(
      events,
      ['last batch finished', 'disconnected'],
      'disconnect waited for the batch in hand',
    )
    assert.equal(most, 1, 'never two batches of the partition at once')
    assert.ok(failedAt !== undefined, 'one batch failed')
    assert.ok(handled.includes(failedAt), 'the failed batch was read and handled again')
    const firstSeen = [...new Set(handled)]
    assert.deepEqual(
      firstSeen,
      Array.from({ length: total }, (_, i) => i),
      'every record, in offset order',
    )
  })

  it('fails to connect to a dead broker with a transient BROKER_UNAVAILABLE', async () => {
    const producer = createKafkajsTransport({ brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200 }).producer()
    await assert.rejects(
      producer.connect(),
      (err: unknown) => err instanceof LedgerError && err.code === 'BROKER_UNAVAILABLE' && err.retryable,
    )
  })

  it('fails a produce to a topic that does not exist with TOPIC_NOT_FOUND, and keeps producing elsewhere', async (test) => {
    const t = cleanupScope(test)
    const { admin, topic, producer } = await producerOnFreshTopic(t, 'transport.exists')

    const missing = uniqueName('transport.typo')
    await assert.rejects(
      producer.send([{ topic: missing, key: 'k', value: Buffer.from('x') }]),
      (err: unknown) =>
        err instanceof LedgerError && err.code === 'TOPIC_NOT_FOUND' && err.message.includes(missing),
    )
    await producer.send([{ topic, key: 'k', value: Buffer.from('y') }])
    assert.equal((await admin.listTopics()).includes(missing), false, 'nothing was auto-created')
  })

  it('resends a batch while its broker is down instead of giving it up, and later batches are accepted', async (test) => {
    const t = cleanupScope(test)
    // A broker this test owns: the shared one is never stopped.
    const broker = await startKafkaBroker({ throwaway: true, log: () => {} })
    t.after(() => broker.kill())
    const transport = createKafkajsTransport({ brokers: broker.brokers.split(','), connectionTimeoutMs: 500 })
    const admin = transport.admin()
    await admin.connect()
    const topic = uniqueName('transport.restart')
    await admin.ensureTopics([spec(topic)])
    await admin.disconnect()
    const producer = transport.producer()
    await producer.connect()
    t.after(() => producer.disconnect())
    const rec = (n: number) => ({ topic, key: `k${n % 3}`, value: Buffer.from(String(n)) })
    await producer.send([rec(1), rec(2), rec(3)])

    await broker.stop()
    let settled: string | undefined
    const during = producer.send([rec(4), rec(5), rec(6)]).then(
      () => (settled = 'acked'),
      (err: unknown) => (settled = `failed: ${String(err)}`),
    )
    // Longer than kafkajs' own connect retries (about 5 s with these settings), after which
    // kafkajs alone gives the send up.
    await sleep(8000)
    assert.equal(settled, undefined, 'the batch is still being resent while the broker is down')
    await broker.start()
    await during
    assert.equal(settled, 'acked')
    await producer.send([rec(7), rec(8), rec(9)])

    const check = transport.admin()
    await check.connect()
    t.after(() => check.disconnect())
    const high = (await check.topicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)
    assert.equal(high, 9, 'every record stored exactly once')
  })
})
