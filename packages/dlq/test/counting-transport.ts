import type { KafkaTransport } from '@integration-ledger/sdk'

/** What a `countingTransport` saw: consumers created and what they delivered. */
export interface ConsumptionCounts {
  consumers: number
  records: number
  bytes: number
}

/**
 * The real transport, counting the consumers created through it and the records (and key, value
 * and header bytes) they delivered: what a DLQ read cost on the Kafka side.
 */
export function countingTransport(inner: KafkaTransport): {
  transport: KafkaTransport
  counts: ConsumptionCounts
  reset(): void
} {
  const counts: ConsumptionCounts = { consumers: 0, records: 0, bytes: 0 }
  const transport: KafkaTransport = {
    brokers: inner.brokers,
    producer: () => inner.producer(),
    admin: () => inner.admin(),
    consumer(options) {
      counts.consumers++
      const consumer = inner.consumer(options)
      return {
        ...consumer,
        run: (run) =>
          consumer.run({
            ...run,
            eachBatch: async (batch) => {
              counts.records += batch.records.length
              for (const r of batch.records) {
                counts.bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0)
                for (const [name, value] of Object.entries(r.headers))
                  counts.bytes += name.length + value.length
              }
              await run.eachBatch(batch)
            },
          }),
      }
    },
  }
  return {
    transport,
    counts,
    reset: () => Object.assign(counts, { consumers: 0, records: 0, bytes: 0 }),
  }
}
