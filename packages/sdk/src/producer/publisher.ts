import type { LedgerEvent } from '@integration-ledger/core'
import {
  BatchingProducer,
  type BatchingProducerOptions,
  type KafkaTransport,
  type ProduceOptions,
} from '@integration-ledger/kafka'
import type { EnvelopeCodec } from '@integration-ledger/registry'
import type { z } from 'zod'
import type { ContractEvent, EventContract, EventSchemas } from '../contract/contract.js'
import { RECORD_HEADERS } from '../record-headers.js'
import { DEFAULT_EVENTS_TOPIC } from '../topology.js'
import { buildEvent } from './build-event.js'

export interface PublisherOptions {
  transport: KafkaTransport
  codec: EnvelopeCodec
  /** @default 'ledger.events' */
  defaultTopic?: string
  batching?: BatchingProducerOptions
}

export interface PublishOptions {
  /** @default the publisher's default topic */
  topic?: string
  /** Longest wait for the broker's acknowledgement; see `ProduceOptions.timeoutMs`. */
  timeoutMs?: number
  /** Extra Kafka headers (not part of the envelope). */
  headers?: Record<string, string>
  /**
   * Told the event's final outcome once known, even after `timeoutMs` rejected; `withdrawn` also
   * when the event never reached the producer (encoding failed). See `ProduceOptions.onOutcome`.
   */
  onOutcome?: ProduceOptions['onOutcome']
}

/**
 * Publishes envelopes into the ledger: registry-encoded, keyed by entity ID (so an entity's events
 * keep their order on one partition), acks=all, idempotent producer, batched across callers.
 */
export class LedgerPublisher {
  readonly #codec: EnvelopeCodec
  readonly #producer: BatchingProducer
  readonly #defaultTopic: string

  private constructor(options: PublisherOptions, producer: BatchingProducer) {
    this.#codec = options.codec
    this.#producer = producer
    this.#defaultTopic = options.defaultTopic ?? DEFAULT_EVENTS_TOPIC
  }

  /** Connects the producer and registers the envelope schema for the default topic. */
  static async connect(options: PublisherOptions): Promise<LedgerPublisher> {
    const transport = options.transport.producer()
    await transport.connect()
    const publisher = new LedgerPublisher(options, new BatchingProducer(transport, options.batching))
    await options.codec.register(publisher.#defaultTopic)
    return publisher
  }

  /** Whether the last produce request reached the broker. */
  get brokerAvailable(): boolean {
    return this.#producer.brokerAvailable
  }

  /** How long the produce request in flight has waited for the broker (0 when none is). */
  get unansweredMs(): number {
    return this.#producer.unansweredMs
  }

  /** Resolves once the broker has acknowledged the event (acks=all). */
  async publish(event: LedgerEvent, options: PublishOptions = {}): Promise<void> {
    const topic = options.topic ?? this.#defaultTopic
    let value: Buffer
    try {
      value = await this.#codec.encode(topic, event)
    } catch (err) {
      options.onOutcome?.('withdrawn')
      throw err
    }
    await this.#producer.produce(
      {
        topic,
        key: event.entityId,
        value,
        headers: {
          [RECORD_HEADERS.eventId]: event.eventId,
          [RECORD_HEADERS.correlationId]: event.correlationId,
          ...options.headers,
        },
      },
      {
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.onOutcome === undefined ? {} : { onOutcome: options.onOutcome }),
      },
    )
  }

  /**
   * Builds an event of contract type `type`, validates its payload against the type's schema (as
   * the JSON consumers will read), and publishes it. Returns the envelope sent (its `eventId`).
   * @throws PermanentError VALIDATION_FAILED, before anything is sent (`onOutcome` is told
   *   `withdrawn`), when the payload fails the schema or the envelope fields could never be applied.
   */
  async publishTyped<S extends EventSchemas, T extends keyof S & string>(
    contract: EventContract<S>,
    type: T,
    event: ContractEvent<z.input<S[T]>>,
    options: PublishOptions = {},
  ): Promise<LedgerEvent> {
    let envelope: LedgerEvent
    try {
      envelope = buildEvent(contract.newEvent(type, event))
    } catch (err) {
      options.onOutcome?.('withdrawn')
      throw err
    }
    await this.publish(envelope, options)
    return envelope
  }

  /** Produces an already-encoded record (used to move records between retry tiers and the DLQ). */
  produceRaw(record: Parameters<BatchingProducer['produce']>[0], timeoutMs?: number): Promise<void> {
    return this.#producer.produce(record, timeoutMs === undefined ? {} : { timeoutMs })
  }

  async close(): Promise<void> {
    await this.#producer.close()
  }
}
