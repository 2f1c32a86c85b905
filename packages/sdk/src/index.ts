export { subscribe } from './consumer/subscribe.js'
export type {
  BatchContext,
  ConsumedEvent,
  ConsumerState,
  ContractHandlers,
  EventHandlers,
  FatalCrashPolicy,
  RawRecordSink,
  RecordOrigin,
  RetryPolicy,
  SinkBreakerOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionSettings,
  TypedConsumedEvent,
  TypedSubscribeOptions,
} from './consumer/types.js'
export {
  type ContractEvent,
  EventContract,
  type EventInput,
  type EventPayload,
  type EventSchemas,
  type EventType,
  defineEvents,
} from './contract/contract.js'
export type { PayloadIssue } from './contract/issues.js'
export { defaultIsSinkDown } from './consumer/options.js'
export { type OwnedRawProducer, connectRawProducer } from './consumer/raw-producer.js'
export {
  type FailureKind,
  RETRY_HEADERS,
  type RetryState,
  readRetryState,
  withoutRetryHeaders,
} from './consumer/retry-headers.js'
export { type Route, type RoutePolicy, routeFailure } from './consumer/retry-router.js'
export { RECORD_HEADERS, type RecordTrace, recordTrace } from './record-headers.js'
export { type NewEvent, buildEvent } from './producer/build-event.js'
export {
  type NewEventJson,
  fromNewEventJson,
  newEventJsonSchema,
  toNewEventJson,
} from './producer/event-json.js'
export { IngestClient, type IngestClientOptions, type PostEventResult } from './producer/http-client.js'
export { LedgerPublisher, type PublishOptions, type PublisherOptions } from './producer/publisher.js'
export {
  DEFAULT_EVENTS_TOPIC,
  DEFAULT_QUARANTINE_TOPIC,
  DEFAULT_RETRY_TIERS,
  ENVELOPE_OVERHEAD_BYTES,
  MAX_RAW_BODY_BYTES,
  type RetryTier,
  type TopologyOptions,
  consumerGroupTopics,
  declareTopology,
  dlqTopicName,
  retryTopicName,
} from './topology.js'
export { EnvelopeCodec } from '@integration-ledger/registry'
export {
  MAX_RECORD_BATCH_BYTES,
  createKafkajsTransport,
  type KafkaTransport,
} from '@integration-ledger/kafka'
export {
  type OffsetRange,
  type ReadRangesOptions,
  type ReadTopicOptions,
  readRanges,
  readTopic,
  topicRanges,
} from './read-topic.js'
