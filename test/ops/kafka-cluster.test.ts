import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKafkajsTransport } from '@integration-ledger/kafka'
import { declareTopology } from '@integration-ledger/sdk'
import { cleanupScope, startKafkaCluster, uniqueName, waitFor } from '@integration-ledger/testing'
import kafkajs from 'kafkajs'
import { partitionState } from '../failover/cluster-support.js'

// kafkajs is CommonJS: its enums are reachable from the default export only.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs

async function minInsyncReplicas(brokers: string[], topic: string): Promise<string | undefined> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    })
    return resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue
  } finally {
    await admin.disconnect()
  }
}

describe('a three-node KRaft cluster the test owns', () => {
  it('creates the declared topics with 3 replicas and min ISR 2, and takes acks=all writes with one node SIGKILLed', async (test) => {
    const t = cleanupScope(test)
    const cluster = await startKafkaCluster({ nodes: 3, throwaway: true, log: () => {} })
    t.after(() => cluster.kill())
    const brokers = cluster.brokers.split(',')
    assert.equal(brokers.length, 3)

    const topic = uniqueName('cluster.events')
    const transport = createKafkajsTransport({ brokers })
    const admin = transport.admin()
    await admin.connect()
    t.after(() => admin.disconnect())
    // What the services declare on the cluster (KAFKA_REPLICATION_FACTOR=3 from the stack).
    const specs = declareTopology({
      eventTopics: [topic],
      consumerGroups: [],
      replicationFactor: 3,
      partitions: 3,
    })
    await admin.ensureTopics(specs.filter((s) => s.topic === topic))

    const before = await partitionState(brokers, topic)
    assert.equal(before.length, 3)
    for (const p of before) {
      assert.equal(p.replicas.length, 3, `partition ${p.partition} has 3 replicas`)
      assert.equal(p.isr.length, 3, `partition ${p.partition} has 3 in sync`)
    }
    assert.equal(await minInsyncReplicas(brokers, topic), '2')

    // The seam's producer is idempotent with acks=all: an ack means every in-sync replica has it.
    const producer = transport.producer()
    await producer.connect()
    t.after(() => producer.disconnect())
    const records = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({ topic, key: `entity-${i}`, value: Buffer.from(`${tag}-${i}`) }))
    assert((await producer.send(records(30, 'before'))).length > 0)

    // SIGKILL the leader of partition 0, as a crash would.
    const leaderId = before.find((p) => p.partition === 0)?.leader
    const victim = cluster.nodes.find((n) => n.nodeId === leaderId)
    assert(victim, `leader ${leaderId} is one of the cluster's nodes`)
    await victim.kill()

    // Two replicas stay in sync, which min ISR 2 allows: writes to every partition go on.
    const after = await waitFor(
      async () => {
        const state = await partitionState(brokers, topic)
        return state.every((p) => p.isr.length === 2 && !p.isr.includes(victim.nodeId)) && state
      },
      { timeoutMs: 60_000, description: `the ISR of ${topic} to drop node ${victim.nodeId}` },
    )
    assert(after.every((p) => p.leader !== victim.nodeId))
    const acks = await producer.send(records(30, 'after'))
    assert.deepEqual(new Set(acks.map((a) => a.partition)), new Set([0, 1, 2]))

    // The node comes back with its data and catches up to the ISR again.
    await victim.start()
    await waitFor(async () => (await partitionState(brokers, topic)).every((p) => p.isr.length === 3), {
      timeoutMs: 60_000,
      description: `node ${victim.nodeId} to rejoin the ISR of ${topic}`,
    })
    const offsets = await admin.topicOffsets(topic)
    assert.equal(
      offsets.reduce((sum, p) => sum + Number(p.high), 0),
      60,
      'every acknowledged record is stored',
    )
  })
})
