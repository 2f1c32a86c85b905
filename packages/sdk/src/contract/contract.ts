import { PermanentError, parseStorableJson } from '@integration-ledger/core'
import type { z } from 'zod'
import type { NewEvent } from '../producer/build-event.js'
import { describeIssues, type PayloadIssue } from './issues.js'

/** Event type → zod schema of its JSON payload. */
export type EventSchemas = Record<string, z.ZodType>

/** The schemas of a contract, or the schemas themselves. */
type SchemasOf<C> = C extends EventContract<infer S> ? S : C

/** The event types of a contract (or of its schemas). */
export type EventType<C> = keyof SchemasOf<C> & string

/** What a consumer's handler receives for `T`: the schema's output (defaults and transforms applied). */
export type EventPayload<C, T extends EventType<C>> = SchemasOf<C>[T] extends z.ZodType
  ? z.output<SchemasOf<C>[T]>
  : never

/** What a producer gives for `T`: the schema's input. */
export type EventInput<C, T extends EventType<C>> = SchemasOf<C>[T] extends z.ZodType
  ? z.input<SchemasOf<C>[T]>
  : never

/** A new event of a contract's type `T`: the envelope fields of `NewEvent`, and a typed payload. */
export type ContractEvent<P> = Omit<NewEvent, 'type' | 'payload' | 'rawBody' | 'contentType'> & { payload: P }

/**
 * The event types a producer publishes and its consumers read, each with the zod schema of its
 * JSON payload. One value, imported by both sides, so they agree on the shape by construction:
 * `subscribe({ events, handlers })` validates what it reads, `publisher.publishTyped` and
 * `ingestClient.postTyped` validate what they send. Build it with {@link defineEvents}.
 */
export class EventContract<S extends EventSchemas> {
  readonly schemas: Readonly<S>

  constructor(schemas: S) {
    this.schemas = Object.freeze({ ...schemas })
  }

  /** The declared event types, in declaration order. */
  get types(): (keyof S & string)[] {
    return Object.keys(this.schemas)
  }

  has(type: string): type is keyof S & string {
    return Object.hasOwn(this.schemas, type)
  }

  /**
   * Reads a consumed event's raw body (JSON, by the ledger's one rule: `parseStorableJson`) as
   * type `type`'s payload.
   * @throws PermanentError VALIDATION_FAILED when the body is not such JSON, the type is not
   *   declared, or the payload fails the schema; the message lists each issue's path and message.
   */
  parse<T extends keyof S & string>(type: T, rawBody: Buffer): z.output<S[T]> {
    const json = parseStorableJson(rawBody)
    if (!json.ok) {
      throw new PermanentError(
        'VALIDATION_FAILED',
        `${type}: the body is no payload of this type. ${json.message}`,
        {
          details: { eventType: type, problem: json.problem },
        },
      )
    }
    return this.#validate(type, json.value)
  }

  /**
   * A `NewEvent` of type `type` whose payload passed the schema, with the payload serialised as
   * the JSON body. What is validated is that JSON read back, exactly what consumers will parse, so
   * a value that changes on the way (a `Date` becomes a string, `undefined` disappears) is judged
   * as it arrives. The body is the payload as given, not the schema's output, so consumers apply
   * the same defaults and transforms to the same input.
   * @throws PermanentError VALIDATION_FAILED before anything is sent.
   */
  newEvent<T extends keyof S & string>(type: T, event: ContractEvent<z.input<S[T]>>): NewEvent {
    const { payload, ...envelope } = event
    const text = JSON.stringify(payload)
    const json = text === undefined ? undefined : parseStorableJson(text)
    if (!json?.ok) {
      throw new PermanentError(
        'VALIDATION_FAILED',
        `${type}: the payload cannot be sent as JSON the ledger keeps. ${json?.message ?? 'It serialises to nothing.'}`,
        { details: { eventType: type } },
      )
    }
    this.#validate(type, json.value)
    return { ...envelope, type, contentType: 'application/json', rawBody: Buffer.from(json.text) }
  }

  #validate<T extends keyof S & string>(type: T, value: unknown): z.output<S[T]> {
    const schema = this.has(type) ? this.schemas[type] : undefined
    if (!schema) {
      throw new PermanentError(
        'VALIDATION_FAILED',
        `Event type ${type} is not declared in the contract (declared: ${this.types.join(', ')}).`,
        { details: { eventType: type } },
      )
    }
    const parsed = schema.safeParse(value)
    if (parsed.success) return parsed.data
    const issues: PayloadIssue[] = describeIssues(parsed.error.issues, value)
    throw new PermanentError(
      'VALIDATION_FAILED',
      `${type} payload fails its schema: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      // Not the ZodError as cause: its issues may carry the input.
      { details: { eventType: type, issues } },
    )
  }
}

/**
 * Declares a contract: event type → zod schema of its payload. Share the value between the
 * producer and its consumers (for example in a small package of their own).
 *
 * ```ts
 * export const billing = defineEvents({
 *   'customer.updated': z.object({ id: z.string(), email: z.email() }),
 * })
 * ```
 */
export function defineEvents<const S extends EventSchemas>(schemas: S): EventContract<S> {
  return new EventContract(schemas)
}
