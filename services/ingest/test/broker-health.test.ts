import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '@integration-ledger/core'
import { BatchingProducer, createKafkajsTransport } from '@integration-ledger/kafka'
import { cleanupScope, stackEnv, startKafkaBroker, uniqueName, waitFor } from '@integration-ledger/testing'
import { BrokerHealth, kafkaProbe } from '../src/broker-health.js'

describe('BrokerHealth (real brokers)', () => {
  it('reports Kafka unavailable while a produce request stays unanswered though metadata answers, and available once it is acked', async (test) => {
    const t = cleanupScope(test)
    // The producer writes to a broker this test owns and stops; the probe asks the shared one,
    // which goes on answering: metadata fine, writes stuck, as with a partition that takes none.
    const broker = await startKafkaBroker({ throwaway: true, log: () => {} })
    t.after(() => broker.kill())
    const transport = createKafkajsTransport({ brokers: [broker.brokers], connectionTimeoutMs: 500 })
    const admin = transport.admin()
    await admin.connect()
    const topic = uniqueName('health.stuck')
    await admin.ensureTopics([{ topic, partitions: 1, replicationFactor: 1, config: {} }])
    await admin.disconnect()
    const connection = transport.producer()
    await connection.connect()

    const probe = kafkaProbe(stackEnv().kafkaBrokers)
    t.after(() => probe.close())
    const health = new BrokerHealth({
      probe: () => probe.run(),
      intervalMs: 100,
      logger: silentLogger,
      producerWaitMs: () => producer.unansweredMs,
      maxProducerWaitMs: 1000,
    })
    // As ingest wires it: an answered request reports the broker back.
    const producer = new BatchingProducer(connection, { onBatch: ({ ok }) => ok && health.report(true) })
    t.after(() => producer.close())
    health.start()
    t.after(() => health.stop())

    await producer.produce({ topic, key: 'k', value: Buffer.from('before') })
    assert.equal(health.available, true)
    await broker.stop()
    const stuck = producer.produce({ topic, key: 'k', value: Buffer.from('during') })
    await waitFor(() => !health.available, {
      description: 'Kafka reported unavailable while the request is stuck',
    })

    await broker.start()
    await stuck
    await waitFor(() => health.available, {
      description: 'Kafka reported available once the request was acked',
    })
  })
})
