import { silentLogger } from '@integration-ledger/core'
import { consumerGroupTopics, dlqTopicName, retryTopicName } from '../topology.js'
import type { EventSchemas } from '../contract/contract.js'
import { BatchProcessor } from './batch-processor.js'
import { toUntypedOptions } from './contract-handler.js'
import { DueScheduler } from './due-scheduler.js'
import { ManagedConsumer } from './managed-consumer.js'
import { ConsumerMetrics } from './metrics.js'
import { resolveSubscribeOptions } from './options.js'
import { connectRawProducer } from './raw-producer.js'
import { SinkBreaker } from './sink-breaker.js'
import type { RawRecordSink, SubscribeOptions, Subscription, TypedSubscribeOptions } from './types.js'

/**
 * Subscribes a handler to ledger topics with the ledger's consumer guarantees: registry decoding,
 * per-partition order, batches, commits of only what is done, delayed retry tiers and a DLQ for
 * failures, a sink circuit breaker, graceful shutdown. The group's retry topics are consumed by
 * the same consumer, so a retried record reaches the same handler when it is due.
 *
 * Two forms: untyped handlers (`handleBatch` or `handleEvent`) receive the decoded envelope; the
 * typed form (`events`: a contract from `defineEvents`, `handlers` per event type) hands each
 * handler its payload parsed and validated, typed from the schema, and dead-letters a payload
 * that fails its schema as a permanent `VALIDATION_FAILED` failure.
 * See packages/sdk/ARCHITECTURE.md.
 */
export async function subscribe<S extends EventSchemas = EventSchemas>(
  given: SubscribeOptions | TypedSubscribeOptions<S>,
): Promise<Subscription> {
  const options = toUntypedOptions(given)
  const policy = resolveSubscribeOptions(options)
  const logger = (options.logger ?? silentLogger).child({ component: 'consumer', group: policy.groupId })
  const retryTopics = policy.tiers.map((tier) => retryTopicName(policy.groupId, tier))
  const cleanups: (() => Promise<void>)[] = []
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err: unknown) => logger.warn({ err }, 'close step failed'))
  }

  let consumer: ManagedConsumer
  try {
    const admin = options.ensureTopics === false && !options.metrics ? undefined : options.transport.admin()
    if (admin) {
      await admin.connect()
      cleanups.push(() => admin.disconnect())
      if (options.ensureTopics !== false) {
        await admin.ensureTopics(
          consumerGroupTopics(policy.groupId, {
            retryTiers: policy.tiers,
            partitions: policy.topicPartitions,
          }),
        )
      }
    }
    const metrics =
      options.metrics &&
      new ConsumerMetrics(
        options.metrics,
        policy.groupId,
        admin && { admin, topic: dlqTopicName(policy.groupId) },
      )
    if (metrics && options.metrics) {
      const registry = options.metrics
      cleanups.push(async () => metrics.close(registry))
    }

    let sink: RawRecordSink | undefined = options.publisher
    if (!sink) {
      const owned = await connectRawProducer(options.transport)
      cleanups.push(() => owned.close())
      sink = owned
    }

    // The scheduler and the consumer refer to each other: the consumer reports assignments to
    // the scheduler, the scheduler pauses and seeks the consumer. Neither calls the other before
    // both exist.
    const scheduler = new DueScheduler(
      {
        pause: (partitions) => consumer.pause(partitions),
        resume: (partitions) => consumer.resume(partitions),
        seek: (position) => consumer.seek(position),
      },
      (counts) => metrics?.paused(counts),
    )
    consumer = new ManagedConsumer({
      transport: options.transport,
      policy,
      topics: [...policy.topics, ...retryTopics],
      fromBeginning: options.fromBeginning ?? true,
      eachBatch: (batch) => processor.process(batch),
      onAssign: (assignment) => scheduler.retain(assignment),
      onReplace: () => scheduler.retain([]),
      onStateChange: options.onStateChange,
      metrics,
      logger,
    })
    const processor = new BatchProcessor({
      policy,
      consumer,
      scheduler,
      breaker: new SinkBreaker(policy.initialBackoffMs, policy.maxBackoffMs),
      sink,
      decode: options.decode ?? ((value) => options.codec.decode(value)),
      handleBatch: options.handleBatch,
      handleEvent: options.handleEvent,
      retryTopics: new Set(retryTopics),
      metrics,
      logger,
    })
    await consumer.start()
    cleanups.push(async () => {
      scheduler.close()
      // Waits for the batch in flight (which commits), then leaves the group.
      await consumer.close()
    })
  } catch (err) {
    await closeAll()
    throw err
  }

  let closing: Promise<void> | undefined
  return {
    get state() {
      return consumer.state
    },
    close: () => (closing ??= closeAll()),
  }
}
