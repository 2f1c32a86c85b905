export {
  BatchingProducer,
  type BatchingProducerOptions,
  type ProduceOptions,
  type ProduceOutcome,
} from './batching-producer.js'
export { toBrokerError } from './errors.js'
export { MAX_RECORD_BATCH_BYTES, batchBytes, recordBytes } from './limits.js'
export { createKafkajsTransport } from './kafkajs/transport.js'
export { type KafkaTransportOptions, kafkaTransportOptionsSchema } from './options.js'
export type {
  AdminTransport,
  ConsumerGroupEvents,
  ConsumerOptions,
  ConsumerRunOptions,
  ConsumerTransport,
  IncomingBatch,
  IncomingRecord,
  KafkaTransport,
  OutgoingRecord,
  PartitionOffsets,
  ProduceAck,
  ProducerTransport,
  RecordOutcome,
  TopicPartitionOffset,
  TopicPartitions,
  TopicSpec,
} from './types.js'
