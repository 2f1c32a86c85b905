import assert from 'node:assert/strict'
import { type TestContext, describe, it } from 'node:test'
import { silentLogger } from '@integration-ledger/core'
import type { OutgoingRecord } from '@integration-ledger/kafka'
import { cleanupScope, stackEnv } from '@integration-ledger/testing'
import kafkajs from 'kafkajs'
import { kafkajsPartitionSource } from '../../src/kafkajs/partitions.js'
import { createKafkajsProducer, resendPauseMs } from '../../src/kafkajs/producer.js'
import { producerOnFreshTopic, readAll } from '../helpers.js'

const { Kafka, logLevel } = kafkajs

/** Small enough that a few records of one partition in one request are over it. */
const TOPIC_LIMIT = 50_000

/**
 * Sends 60 records of `recordBytes` each over 6 partitions and one record over the topic's limit in
 * one request, then two more; checks every record but the big one is stored exactly once, where
 * its outcome says.
 */
async function refusedRequest(test: TestContext, recordBytes: number) {
  const t = cleanupScope(test)
  const { transport, topic, producer } = await producerOnFreshTopic(t, 'seam.split', {
    partitions: 6,
    config: { 'max.message.bytes': String(TOPIC_LIMIT) },
  })
  const records: OutgoingRecord[] = Array.from({ length: 60 }, (_, i) => ({
    topic,
    key: `k${i}`,
    value: Buffer.alloc(recordBytes, `${i % 10}`),
    headers: { n: String(i) },
  }))
  records.splice(30, 0, { topic, key: 'big', value: Buffer.alloc(TOPIC_LIMIT + 1000), headers: { n: 'big' } })

  const outcomes = await producer.sendEach(records)
  assert.equal(outcomes.length, records.length)
  const refused = outcomes.flatMap((o, i) => (o.status === 'refused' ? [{ i, o }] : []))
  assert.deepEqual(
    refused.map(({ i }) => i),
    [30],
    'only the record over the limit is refused',
  )
  assert.equal(refused[0]?.o.status === 'refused' && refused[0].o.error.code, 'RECORD_TOO_LARGE')
  assert.equal(refused[0]?.o.status === 'refused' && refused[0].o.error.retryable, false)

  // The producer's sequence numbers are where the broker expects them: it keeps producing.
  const after = await producer.send([
    { topic, key: 'k1', value: Buffer.from('after-1'), headers: { n: 'after-1' } },
    { topic, key: 'k2', value: Buffer.from('after-2'), headers: { n: 'after-2' } },
  ])
  assert.ok(after.length > 0)

  const stored = await readAll(t, transport, topic)
  const names = stored.map((r) => r.headers.n)
  assert.equal(names.length, 62, 'every other record once, nothing twice')
  assert.equal(new Set(names).size, 62)
  assert.ok(!names.includes('big'))
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status !== 'stored') continue
    const found = stored.find((r) => r.partition === outcome.partition && r.offset === outcome.offset)
    assert.equal(
      found?.headers.n,
      records[i]?.headers?.n,
      `record ${i} at ${outcome.partition}/${outcome.offset}`,
    )
  }
}

describe('kafkajs producer seam against the real broker', () => {
  it('stores the rest exactly once when the broker stored some partitions of a request and refused one', (test) =>
    // ~10 records of 2 KB per partition: only the big record's partition is over the limit, so
    // the broker stores the other partitions of the first request; sent again on their own they
    // are recognised as duplicates, not stored twice.
    refusedRequest(test, 2000))

  it('stores every record exactly once but the one too large when every partition of a request is refused', (test) =>
    // ~10 records of 8 KB per partition: every partition's batch is over the limit.
    refusedRequest(test, 8000))

  it('answers a record to a missing topic TOPIC_NOT_FOUND and stores its batch-mates to other topics', async (test) => {
    const t = cleanupScope(test)
    const { transport, topic, producer } = await producerOnFreshTopic(t, 'seam.mixed')
    const missing = `${topic}.missing`
    const outcomes = await producer.sendEach([
      { topic, key: 'a', value: Buffer.from('a') },
      { topic: missing, key: 'b', value: Buffer.from('b') },
      { topic, key: 'c', value: Buffer.from('c') },
    ])
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'stored' ? 'stored' : o.error.code)),
      ['stored', 'TOPIC_NOT_FOUND', 'stored'],
    )
    assert.equal((await readAll(t, transport, topic)).length, 2)
  })

  it('sends a batch over six partitions of a one-broker cluster in one produce request', async (test) => {
    const t = cleanupScope(test)
    const { transport, topic } = await producerOnFreshTopic(t, 'seam.together', { partitions: 6 })
    const kafka = new Kafka({ brokers: stackEnv().kafkaBrokers, logLevel: logLevel.NOTHING })
    let produceRequests = 0
    const producer = createKafkajsProducer(
      () => {
        const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
        p.on(p.events.REQUEST, ({ payload }) => {
          if (payload.apiName === 'Produce') produceRequests++
        })
        return p
      },
      {
        requestTimeoutMs: 30_000,
        maxRetryTimeMs: 1000,
        partitionSource: kafkajsPartitionSource(kafka),
        logger: silentLogger,
      },
    )
    await producer.connect()
    t.after(() => producer.disconnect())
    const records = Array.from({ length: 60 }, (_, i) => ({
      topic,
      key: `k${i}`,
      value: Buffer.from(`v${i}`),
    }))
    const outcomes = await producer.sendEach(records)
    assert.ok(outcomes.every((o) => o.status === 'stored'))
    assert.equal(
      new Set(outcomes.map((o) => o.status === 'stored' && o.partition)).size,
      6,
      'the keys cover six partitions',
    )
    assert.equal(produceRequests, 1)
    const stored = await readAll(t, transport, topic)
    assert.equal(stored.length, 60)
    for (const [i, outcome] of outcomes.entries()) {
      const found = stored.find(
        (r) =>
          outcome.status === 'stored' && r.partition === outcome.partition && r.offset === outcome.offset,
      )
      assert.equal(found?.value?.toString(), `v${i}`)
    }
  })

  it('waits between resends with jitter: between half the exponential pause and all of it', () => {
    for (const resend of [0, 1, 3, 30]) {
      const ceiling = Math.min(1000, 100 * 2 ** resend)
      const pauses = Array.from({ length: 200 }, () => resendPauseMs(resend, 1000))
      assert.ok(pauses.every((p) => p >= ceiling / 2 && p <= ceiling))
      assert.ok(new Set(pauses).size > 100, 'not in step')
    }
  })
})
