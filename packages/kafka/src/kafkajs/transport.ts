import { silentLogger, type Logger } from '@integration-ledger/core'
import { CompressionTypes, Kafka, Partitioners } from 'kafkajs'
import { kafkaTransportOptionsSchema, type KafkaTransportOptions } from '../options.js'
import type { ConsumerOptions, KafkaTransport } from '../types.js'
import { createKafkajsAdmin } from './admin.js'
import { createKafkajsConsumer } from './consumer.js'
import { kafkajsLogCreator } from './log-creator.js'
import { kafkajsPartitionSource } from './partitions.js'
import { createKafkajsProducer } from './producer.js'

/** The kafkajs implementation of the transport seam. */
export function createKafkajsTransport(
  options: KafkaTransportOptions,
  logger: Logger = silentLogger,
): KafkaTransport {
  const resolved = kafkaTransportOptionsSchema.parse(options)
  const kafka = new Kafka({
    clientId: resolved.clientId,
    brokers: resolved.brokers,
    connectionTimeout: resolved.connectionTimeoutMs,
    requestTimeout: resolved.requestTimeoutMs,
    retry: { initialRetryTime: 100, maxRetryTime: resolved.maxRetryTimeMs, retries: 8 },
    logCreator: kafkajsLogCreator(logger.child({ component: 'kafka' })),
  })

  return {
    brokers: resolved.brokers,

    producer() {
      // maxInFlightRequests 1 keeps the idempotent producer's sequence numbers in order; the
      // batching producer above makes up for it by sending many records per request. kafkajs'
      // own retries are few: the seam resends what kafkajs gives up (same records, same sequence
      // numbers, see producer.ts) and decides what is final, such as a missing topic, which
      // unlimited kafkajs retries would wait on forever. Callers bound their own wait. The seam
      // writes each record's partition into it (partitions.ts), which kafkajs' default
      // partitioner keeps.
      const newProducer = () =>
        kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          createPartitioner: Partitioners.DefaultPartitioner,
          allowAutoTopicCreation: false,
          retry: { initialRetryTime: 100, maxRetryTime: resolved.maxRetryTimeMs, retries: 5 },
        })
      return createKafkajsProducer(newProducer, {
        requestTimeoutMs: resolved.requestTimeoutMs,
        maxRetryTimeMs: resolved.maxRetryTimeMs,
        compression: resolved.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        partitionSource: kafkajsPartitionSource(kafka),
        logger: logger.child({ component: 'producer' }),
      })
    },

    consumer(consumerOptions: ConsumerOptions) {
      const consumer = kafka.consumer({
        groupId: consumerOptions.groupId,
        allowAutoTopicCreation: false,
        maxBytesPerPartition: consumerOptions.maxBytesPerPartition ?? 1_048_576,
        sessionTimeout: consumerOptions.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: consumerOptions.heartbeatIntervalMs ?? 3_000,
        maxWaitTimeInMs: 250,
        retry: {
          initialRetryTime: 100,
          maxRetryTime: resolved.maxRetryTimeMs,
          retries: Number.MAX_SAFE_INTEGER,
        },
      })
      return createKafkajsConsumer(consumer, consumerOptions.events)
    },

    admin() {
      return createKafkajsAdmin(kafka.admin(), logger.child({ component: 'admin' }))
    },
  }
}
