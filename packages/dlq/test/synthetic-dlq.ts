import { PermanentError } from '@integration-ledger/core'
import type { OutgoingRecord } from '@integration-ledger/kafka'
import { type CleanupHost, uniqueName } from '@integration-ledger/testing'
import { type EnvelopeCodec, type KafkaTransport, routeFailure } from '@integration-ledger/sdk'
import { testEvent } from '../../sdk/test/consumer/helpers.js'

export interface SyntheticDlq {
  group: string
  dlqTopic: string
  /** The topic the records failed on (created, empty): where replays go. */
  originalTopic: string
  /**
   * Produces DLQ records `from … from + count - 1` as the retry router writes them: every tenth
   * from source alpha (the others beta), every fifth a DECODE_FAILED (the others VALIDATION_FAILED),
   * keys spread over the partitions.
   */
  fill: (from: number, count: number) => Promise<void>
}

/** A unique group with a DLQ topic of `partitions` partitions; topics are deleted after. */
export async function syntheticDlq(
  t: CleanupHost,
  transport: KafkaTransport,
  codec: EnvelopeCodec,
  partitions = 6,
): Promise<SyntheticDlq> {
  const group = uniqueName('test.group')
  const dlqTopic = `${group}.dlq`
  const originalTopic = uniqueName('test.events')
  const admin = transport.admin()
  await admin.connect()
  await admin.ensureTopics([
    { topic: dlqTopic, partitions, replicationFactor: 1, config: {} },
    { topic: originalTopic, partitions: 1, replicationFactor: 1, config: {} },
  ])
  t.after(async () => {
    await admin.deleteTopics([dlqTopic, originalTopic]).catch(() => {})
    await admin.disconnect()
  })
  const producer = transport.producer()
  await producer.connect()
  t.after(() => producer.disconnect())
  const values = {
    alpha: await codec.encode(originalTopic, { ...testEvent('x', 1), source: 'alpha' }),
    beta: await codec.encode(originalTopic, { ...testEvent('x', 1), source: 'beta' }),
  }
  const policy = { groupId: group, tiers: [{ name: '1s', delayMs: 1000 }], maxAttempts: 1 }

  return {
    group,
    dlqTopic,
    originalTopic,
    fill: async (from, count) => {
      const now = new Date()
      const records: OutgoingRecord[] = []
      for (let i = from; i < from + count; i++) {
        const failed = {
          topic: originalTopic,
          partition: 0,
          offset: String(i),
          key: Buffer.from(`entity-${i}`),
          value: i % 10 === 0 ? values.alpha : values.beta,
          headers: {},
          timestamp: now.getTime(),
        }
        const code = i % 5 === 0 ? 'DECODE_FAILED' : 'VALIDATION_FAILED'
        const { record } = routeFailure(failed, new PermanentError(code, `record ${i} refused`), policy, now)
        records.push({ ...record, topic: dlqTopic })
      }
      // Requests of 2,000 small records stay well under the broker's request and batch limits.
      for (let i = 0; i < records.length; i += 2_000) await producer.send(records.slice(i, i + 2_000))
    },
  }
}
