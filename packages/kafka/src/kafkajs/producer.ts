import { CompressionTypes, type Producer } from 'kafkajs'
import { toBrokerError } from '../errors.js'
import type { OutgoingRecord, ProduceAck, ProducerTransport } from '../types.js'

/** acks=all: the write counts only once every in-sync replica has it. */
const ACKS_ALL = -1

export function createKafkajsProducer(producer: Producer, requestTimeoutMs: number): ProducerTransport {
  return {
    async connect() {
      try {
        await producer.connect()
      } catch (err) {
        throw toBrokerError(err, 'producer connect')
      }
    },

    async send(records: readonly OutgoingRecord[]): Promise<ProduceAck[]> {
      const byTopic = new Map<
        string,
        { key: string | null; value: Buffer; headers?: Record<string, string> }[]
      >()
      for (const record of records) {
        let messages = byTopic.get(record.topic)
        if (!messages) byTopic.set(record.topic, (messages = []))
        messages.push({
          key: record.key,
          value: record.value,
          ...(record.headers ? { headers: record.headers } : {}),
        })
      }
      try {
        const metadata = await producer.sendBatch({
          acks: ACKS_ALL,
          timeout: requestTimeoutMs,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        })
        return metadata.map((m) => ({
          topic: m.topicName,
          partition: m.partition,
          baseOffset: m.baseOffset ?? '-1',
        }))
      } catch (err) {
        throw toBrokerError(err, 'produce')
      }
    },

    disconnect: () => producer.disconnect(),
  }
}
