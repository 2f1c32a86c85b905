import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel'
import { PermanentError, TransientError, envelopeSubject, type LedgerEvent } from '@integration-ledger/core'
import { ENVELOPE_SCHEMA_V1 } from './envelope-schema.js'

export interface EnvelopeCodecOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8085/apis/ccompat/v7 */
  url: string
  /** Schema text to register. @default the envelope v1 schema (`schemas/envelope.v1.avsc`) */
  schema?: string
}

/** The wire form of the envelope: Avro has no Date, so timestamps travel as epoch milliseconds. */
interface WireEvent extends Omit<LedgerEvent, 'occurredAt' | 'receivedAt'> {
  occurredAt: number
  receivedAt: number
}

/**
 * Whether a registration lost a race with another process registering the same new subject
 * (replicas starting together). The registry client checks the subject's compatibility setting,
 * registers the schema, and for a subject it found missing then sets BACKWARD: a process checking
 * in between finds the registry's default and is refused (a compatibility error), and of two that
 * both found it missing the second one's setting conflicts (409; Apicurio keeps one rule). Tried
 * again, either finds BACKWARD set and goes through.
 */
function lostRegistrationRace(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'ConfluentSchemaRegistryCompatibilityError') return true
  return (err as { status?: unknown }).status === 409
}

/** A subject an operator set to another compatibility level is still refused, after these tries. */
const registration = retry(handleWhen(lostRegistrationRace), {
  maxAttempts: 5,
  backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }),
})

/**
 * Encodes and decodes ledger events through the schema registry (Confluent wire format: magic
 * byte, 4-byte schema ID, Avro body). The schema is registered once per topic subject; after that
 * encoding and decoding are local, the client caches schemas by ID.
 */
export class EnvelopeCodec {
  readonly #registry: SchemaRegistry
  readonly #schema: string
  readonly #ids = new Map<string, Promise<number>>()

  constructor(options: EnvelopeCodecOptions) {
    this.#registry = new SchemaRegistry({ host: options.url, retry: { retries: 2, maxRetryTimeInSecs: 2 } })
    this.#schema = options.schema ?? ENVELOPE_SCHEMA_V1
  }

  /** Registers the envelope schema under the topic's subject (idempotent) and returns its ID. */
  register(topic: string): Promise<number> {
    let id = this.#ids.get(topic)
    if (!id) {
      id = registration
        .execute(() =>
          this.#registry.register(
            { type: SchemaType.AVRO, schema: this.#schema },
            { subject: envelopeSubject(topic) },
          ),
        )
        .then((registered) => registered.id)
      id.catch(() => this.#ids.delete(topic))
      this.#ids.set(topic, id)
    }
    return id.catch((err: unknown) => {
      throw new TransientError(
        'REGISTRY_UNAVAILABLE',
        `Could not register the envelope schema for topic "${topic}" in the schema registry; check SCHEMA_REGISTRY_URL and that the registry is up.`,
        { cause: err },
      )
    })
  }

  async encode(topic: string, event: LedgerEvent): Promise<Buffer> {
    const id = await this.register(topic)
    const wire: WireEvent = {
      ...event,
      occurredAt: event.occurredAt.getTime(),
      receivedAt: event.receivedAt.getTime(),
    }
    try {
      return await this.#registry.encode(id, wire)
    } catch (err) {
      throw new PermanentError(
        'VALIDATION_FAILED',
        `Event ${event.eventId} does not fit the envelope schema: ${String(err)}`,
        {
          cause: err,
        },
      )
    }
  }

  async decode(buffer: Buffer): Promise<LedgerEvent> {
    let wire: WireEvent
    try {
      wire = (await this.#registry.decode(buffer)) as WireEvent
    } catch (err) {
      // A registry that cannot be reached is an outage; anything else means the bytes are bad.
      if (
        err instanceof Error &&
        /ECONNREFUSED|ETIMEDOUT|ECONNRESET|socket hang up|5\d\d/.test(err.message)
      ) {
        throw new TransientError(
          'REGISTRY_UNAVAILABLE',
          'Schema registry unreachable while decoding; retry later.',
          { cause: err },
        )
      }
      throw new PermanentError('DECODE_FAILED', `Record is not a valid ledger envelope: ${String(err)}`, {
        cause: err,
      })
    }
    return {
      ...wire,
      occurredAt: new Date(Number(wire.occurredAt)),
      receivedAt: new Date(Number(wire.receivedAt)),
    }
  }
}
