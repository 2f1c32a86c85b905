import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LedgerError, PermanentError, TransientError } from '@integration-ledger/core'
import {
  BatchingProducer,
  type OutgoingRecord,
  type ProducerTransport,
  type RecordOutcome,
} from '@integration-ledger/kafka'
import { cleanupScope } from '@integration-ledger/testing'
import { producerOnFreshTopic, readAll } from './helpers.js'

/**
 * A transport whose sends complete only when the test says so: `ack` stores every record, `fail`
 * has the broker refuse every one; disconnecting leaves what is unanswered unknown, as the kafkajs
 * seam does.
 */
function controllableTransport() {
  const sends: { records: readonly OutgoingRecord[]; ack(): void; fail(err: Error): void }[] = []
  const unanswered = new Set<(outcomes: RecordOutcome[]) => void>()
  const transport: ProducerTransport = {
    connect: async () => {},
    disconnect: async () => {
      const error = new TransientError('BROKER_UNAVAILABLE', 'producer closed')
      for (const answer of unanswered) answer([{ status: 'unknown', error }])
    },
    sendEach: (records) =>
      new Promise<RecordOutcome[]>((resolve) => {
        const answer = (outcomes: RecordOutcome[]) => {
          unanswered.delete(answer)
          resolve(records.map((_, i) => outcomes[i] ?? outcomes[0]!))
        }
        unanswered.add(answer)
        sends.push({
          records,
          ack: () =>
            answer(
              records.map((r, i) => ({ status: 'stored', topic: r.topic, partition: 0, offset: String(i) })),
            ),
          fail: (err) =>
            answer([{ status: 'refused', error: new PermanentError('VALIDATION_FAILED', err.message) }]),
        })
      }),
    send: () => Promise.reject(new Error('the batching producer uses sendEach')),
  }
  return { transport, sends }
}

const record = (n: number): OutgoingRecord => ({ topic: 't', key: `k${n}`, value: Buffer.from(String(n)) })

describe('BatchingProducer', () => {
  it('sends concurrent records in one request and resolves none before its ack', async () => {
    const { transport, sends } = controllableTransport()
    const producer = new BatchingProducer(transport, { lingerMs: 5 })
    let resolved = 0
    const all = [1, 2, 3].map((n) => producer.produce(record(n)).then(() => resolved++))
    await sleep(20)
    assert.equal(sends.length, 1)
    assert.equal(sends[0]?.records.length, 3)
    assert.equal(resolved, 0, 'nothing is acknowledged before the broker acks')
    sends[0]?.ack()
    await Promise.all(all)
    assert.equal(resolved, 3)
  })

  it('queues records arriving during a send and sends them together right after', async () => {
    const { transport, sends } = controllableTransport()
    const producer = new BatchingProducer(transport, { lingerMs: 1 })
    const first = producer.produce(record(1))
    await sleep(10)
    const later = [2, 3, 4].map((n) => producer.produce(record(n)))
    await sleep(10)
    assert.equal(sends.length, 1, 'one request in flight at a time')
    sends[0]?.ack()
    await first
    await sleep(5)
    assert.equal(sends.length, 2)
    assert.deepEqual(
      sends[1]?.records.map((r) => r.key),
      ['k2', 'k3', 'k4'],
    )
    sends[1]?.ack()
    await Promise.all(later)
  })

  it('rejects every record the broker refused, and does not report it unavailable: it answered', async () => {
    const { transport, sends } = controllableTransport()
    const producer = new BatchingProducer(transport, { lingerMs: 1 })
    const results = Promise.allSettled([producer.produce(record(1)), producer.produce(record(2))])
    await sleep(10)
    sends[0]?.fail(new Error('refused'))
    const settled = await results
    assert.deepEqual(
      settled.map((s) => s.status),
      ['rejected', 'rejected'],
    )
    assert.equal(producer.brokerAvailable, true)
  })

  it('times out with a transient BROKER_TIMEOUT and withdraws records not yet sent', async () => {
    const { transport, sends } = controllableTransport()
    const producer = new BatchingProducer(transport, { lingerMs: 1 })
    const blocking = producer.produce(record(1))
    await sleep(10)
    const waiting = producer.produce(record(2), { timeoutMs: 20 })
    await assert.rejects(
      waiting,
      (err: unknown) => err instanceof LedgerError && err.code === 'BROKER_TIMEOUT' && err.retryable,
    )
    sends[0]?.ack()
    await blocking
    await sleep(10)
    assert.equal(sends.length, 1, 'the timed-out record was never sent')
  })

  it('caps a request at maxBatchRecords', async () => {
    const { transport, sends } = controllableTransport()
    const producer = new BatchingProducer(transport, { lingerMs: 1, maxBatchRecords: 2 })
    const all = [1, 2, 3, 4, 5].map((n) => producer.produce(record(n)))
    await sleep(10)
    assert.equal(sends[0]?.records.length, 2)
    sends[0]?.ack()
    await sleep(5)
    assert.equal(sends[1]?.records.length, 2)
    sends[1]?.ack()
    await sleep(5)
    sends[2]?.ack()
    await Promise.all(all)
  })

  it('reports the final outcome of a record sent before its caller timed out (late ack)', async () => {
    const { transport, sends } = controllableTransport()
    const producer = new BatchingProducer(transport, { lingerMs: 1 })
    const outcomes: string[] = []
    const late = producer.produce(record(1), { timeoutMs: 20, onOutcome: (o) => outcomes.push(o) })
    await assert.rejects(late, (err: unknown) => err instanceof LedgerError && err.code === 'BROKER_TIMEOUT')
    assert.deepEqual(outcomes, [], 'sent records have no outcome until the broker answers')
    sends[0]?.ack()
    await sleep(5)
    assert.deepEqual(outcomes, ['acked'])
  })

  it('reports withdrawn for a record that timed out in the queue, and failed for a failed request', async () => {
    const { transport, sends } = controllableTransport()
    const producer = new BatchingProducer(transport, { lingerMs: 1 })
    const outcomes: string[] = []
    const first = producer.produce(record(1), { onOutcome: (o) => outcomes.push(`1:${o}`) })
    await sleep(10)
    const queued = producer.produce(record(2), { timeoutMs: 10, onOutcome: (o) => outcomes.push(`2:${o}`) })
    await assert.rejects(queued)
    sends[0]?.fail(new Error('refused'))
    await assert.rejects(first)
    assert.deepEqual(outcomes, ['2:withdrawn', '1:failed'])
  })

  it('closes within closeTimeoutMs when the broker never answers: sent records unknown, queued ones withdrawn', async () => {
    const { transport, sends } = controllableTransport()
    const producer = new BatchingProducer(transport, { lingerMs: 1, closeTimeoutMs: 50 })
    const outcomes: string[] = []
    const sent = producer.produce(record(1), { onOutcome: (o) => outcomes.push(`1:${o}`) })
    await sleep(10)
    const queued = producer.produce(record(2), { onOutcome: (o) => outcomes.push(`2:${o}`) })
    const started = Date.now()
    await producer.close()
    assert.ok(Date.now() - started < 1000, 'close does not wait for a broker that never answers')
    await assert.rejects(sent)
    await assert.rejects(queued)
    assert.equal(sends.length, 1, 'nothing is sent after close gave up')
    assert.deepEqual(outcomes.sort(), ['1:unknown', '2:withdrawn'])
  })
})

describe('BatchingProducer against the real broker', () => {
  /** Small enough that a few records of one partition in one request are over it. */
  const TOPIC_LIMIT = 50_000

  it('acknowledges every record of a burst but the one the broker refuses as too large, then keeps producing', async (test) => {
    const t = cleanupScope(test)
    const {
      transport,
      topic,
      producer: connection,
    } = await producerOnFreshTopic(t, 'batching.refused', {
      partitions: 6,
      config: { 'max.message.bytes': String(TOPIC_LIMIT) },
    })
    // No byte bound below the topic's limit: the broker itself refuses the partitions over it.
    const producer = new BatchingProducer(connection, { maxBatchBytes: 10 * 1024 * 1024 })
    const burst = Array.from({ length: 40 }, (_, i) =>
      producer.produce({ topic, key: `k${i}`, value: Buffer.alloc(8000), headers: { n: String(i) } }),
    )
    const big = producer.produce({ topic, key: 'big', value: Buffer.alloc(TOPIC_LIMIT + 1000) })
    const settled = await Promise.allSettled([...burst, big])
    assert.deepEqual(
      settled.map((s) => s.status),
      [...burst.map(() => 'fulfilled'), 'rejected'],
    )
    const refusal = settled.at(-1)
    assert.ok(refusal?.status === 'rejected' && refusal.reason instanceof LedgerError)
    assert.equal(refusal.reason.code, 'RECORD_TOO_LARGE')
    assert.equal(refusal.reason.retryable, false)

    const outcomes: string[] = []
    for (let i = 0; i < 6; i++) {
      await producer.produce(
        { topic, key: `k${i}`, value: Buffer.from('small'), headers: { n: `small-${i}` } },
        { timeoutMs: 10_000, onOutcome: (o) => outcomes.push(o) },
      )
    }
    assert.deepEqual(outcomes, Array(6).fill('acked'))
    await producer.close()
    const names = (await readAll(t, transport, topic)).map((r) => r.headers.n)
    assert.equal(names.length, 46)
    assert.equal(new Set(names).size, 46, 'nothing stored twice')
  })

  it('bounds each request by bytes so the broker never sees a batch over the limit, and refuses a record that alone is over it without sending it', async (test) => {
    const t = cleanupScope(test)
    const {
      transport,
      topic,
      producer: connection,
    } = await producerOnFreshTopic(t, 'batching.bytes', {
      partitions: 2,
      config: { 'max.message.bytes': String(TOPIC_LIMIT) },
    })
    const batches: { bytes: number; refused: number; records: number }[] = []
    const producer = new BatchingProducer(connection, {
      maxBatchBytes: TOPIC_LIMIT,
      onBatch: (b) => batches.push(b),
    })
    const outcomes: string[] = []
    const tooLarge = producer.produce(
      { topic, key: 'big', value: Buffer.alloc(TOPIC_LIMIT) },
      { onOutcome: (o) => outcomes.push(o) },
    )
    await assert.rejects(
      tooLarge,
      (err: unknown) => err instanceof LedgerError && err.code === 'RECORD_TOO_LARGE',
    )
    assert.deepEqual(outcomes, ['failed'])
    assert.equal(batches.length, 0, 'never sent')

    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        producer.produce({ topic, key: `k${i}`, value: Buffer.alloc(9000) }),
      ),
    )
    assert.ok(
      batches.length >= 6,
      `30 records of 9 KB need 6 requests of 50 KB or more, got ${batches.length}`,
    )
    for (const b of batches) {
      assert.ok(b.bytes <= TOPIC_LIMIT, `a request of ${b.bytes} bytes`)
      assert.equal(b.refused, 0)
    }
    await producer.close()
    assert.equal((await readAll(t, transport, topic)).length, 30)
  })

  it('fails only the records of a missing topic, not their batch-mates to other topics', async (test) => {
    const t = cleanupScope(test)
    const { transport, topic, producer: connection } = await producerOnFreshTopic(t, 'batching.mixed')
    const producer = new BatchingProducer(connection)
    const settled = await Promise.allSettled([
      producer.produce({ topic, key: 'a', value: Buffer.from('a') }),
      producer.produce({ topic: `${topic}.missing`, key: 'b', value: Buffer.from('b') }),
      producer.produce({ topic, key: 'c', value: Buffer.from('c') }),
    ])
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? 'acked' : (s.reason as LedgerError).code)),
      ['acked', 'TOPIC_NOT_FOUND', 'acked'],
    )
    await producer.close()
    assert.equal((await readAll(t, transport, topic)).length, 2)
  })
})
