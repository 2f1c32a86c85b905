import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_RECORD_BATCH_BYTES, createKafkajsTransport } from '@integration-ledger/kafka'
import { cleanupScope, stackEnv, uniqueName } from '@integration-ledger/testing'
import { Kafka, logLevel } from 'kafkajs'
import { topicSpec } from '../helpers.js'

/** A topic's own configs, read straight from the broker. */
async function topicConfigs(topic: string): Promise<Map<string, string>> {
  const admin = new Kafka({ brokers: stackEnv().kafkaBrokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic }],
    })
    return new Map(resources[0]?.configEntries.map((e) => [e.configName, e.configValue]) ?? [])
  } finally {
    await admin.disconnect()
  }
}

describe('kafkajs admin against the real broker', () => {
  it('raises max.message.bytes of an existing topic below the declaration, keeping its other settings', async (test) => {
    const t = cleanupScope(test)
    const admin = createKafkajsTransport({ brokers: stackEnv().kafkaBrokers }).admin()
    await admin.connect()
    t.after(() => admin.disconnect())
    const low = uniqueName('admin.low')
    const high = uniqueName('admin.high')
    t.after(() => admin.deleteTopics([low, high]))
    // As topics made before the limit was declared (or by hand): the broker's 1 MiB default.
    await admin.ensureTopics([
      topicSpec(low, 1, { 'retention.ms': '123456789', 'cleanup.policy': 'delete' }),
      topicSpec(high, 1, { 'max.message.bytes': String(2 * MAX_RECORD_BATCH_BYTES) }),
    ])
    const declared = { 'max.message.bytes': String(MAX_RECORD_BATCH_BYTES) }

    assert.deepEqual(
      await admin.ensureTopics([topicSpec(low, 1, declared), topicSpec(high, 1, declared)]),
      [],
    )
    const raised = await topicConfigs(low)
    assert.equal(raised.get('max.message.bytes'), String(MAX_RECORD_BATCH_BYTES))
    assert.equal(raised.get('retention.ms'), '123456789', 'its own settings are kept')
    assert.equal(
      (await topicConfigs(high)).get('max.message.bytes'),
      String(2 * MAX_RECORD_BATCH_BYTES),
      'never lowered',
    )
  })
})
