import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { z } from 'zod'
import {
  type ConsumedEvent,
  type EventInput,
  type EventPayload,
  type EventType,
  type SubscribeOptions,
  type TypedSubscribeOptions,
  defineEvents,
  subscribe,
} from '@integration-ledger/sdk'

const contract = defineEvents({
  'customer.updated': z.object({
    id: z.string(),
    email: z.email(),
    plan: z.enum(['free', 'pro']).default('free'),
  }),
  'invoice.paid': z.object({ invoiceId: z.string(), amountCents: z.number().int().positive() }),
})

const entity = { source: 'billing', entityType: 'customer', entityId: 'c-1', entityVersion: 1 }

/** Compile-time equality: `Equal<A, B>` is `true` only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function expectType<T extends true>(): T | undefined {
  return undefined
}

const isValidation = (err: unknown) =>
  err instanceof LedgerError && err.code === 'VALIDATION_FAILED' && !err.retryable

describe('defineEvents: one contract for producers and consumers', () => {
  it('reads a consumed body as the typed value its schema gives (defaults applied)', () => {
    const value = contract.parse('customer.updated', Buffer.from('{"id":"c-1","email":"a@example.com"}'))
    assert.deepEqual(value, { id: 'c-1', email: 'a@example.com', plan: 'free' })
    assert.equal(contract.has('invoice.paid'), true)
    assert.equal(contract.has('order.created'), false)
    assert.deepEqual(contract.types, ['customer.updated', 'invoice.paid'])
  })

  it('refuses a body that fails its schema with a permanent VALIDATION_FAILED naming each path', () => {
    assert.throws(
      () => contract.parse('invoice.paid', Buffer.from('{"invoiceId":7,"amountCents":-3}')),
      (err) => {
        assert.ok(isValidation(err))
        const e = err as LedgerError
        assert.match(e.message, /invoice\.paid/)
        assert.match(e.message, /invoiceId: Invalid input: expected string, received number/)
        assert.match(e.message, /amountCents: Too small/)
        assert.deepEqual(
          (e.details.issues as { path: string }[]).map((i) => i.path),
          ['invoiceId', 'amountCents'],
        )
        return true
      },
    )
    assert.throws(
      () => contract.parse('invoice.paid', Buffer.from('{not json')),
      (err) => {
        assert.ok(isValidation(err))
        assert.match((err as Error).message, /not valid JSON/)
        return true
      },
    )
  })

  it('never echoes payload values into the message, even when a schema message does', () => {
    const leaky = defineEvents({
      'card.added': z.object({
        pan: z.string().refine((v) => v.length === 4, { error: (iss) => `bad card ${String(iss.input)}` }),
        holder: z.object({ name: z.string() }).refine(() => false, {
          error: (iss) => `holder ${JSON.stringify(iss.input)} refused`,
        }),
      }),
    })
    const secret = '4242424242424242'
    assert.throws(
      () =>
        leaky.parse(
          'card.added',
          Buffer.from(JSON.stringify({ pan: secret, holder: { name: 'Ada Lovelace' } })),
        ),
      (err) => {
        assert.ok(isValidation(err))
        const text = `${(err as Error).message} ${JSON.stringify((err as LedgerError).details)}`
        assert.ok(!text.includes(secret), text)
        assert.ok(!text.includes('Ada Lovelace'), text)
        assert.match(text, /pan: bad card \[redacted\]/)
        return true
      },
    )
  })

  it('validates a producer payload as its consumers will read it (the JSON of it)', () => {
    const event = contract.newEvent('customer.updated', {
      ...entity,
      providerEventId: 'c-1-v1',
      payload: { id: 'c-1', email: 'a@example.com' },
    })
    assert.equal(event.type, 'customer.updated')
    assert.equal(event.contentType, 'application/json')
    assert.equal(event.rawBody?.toString(), '{"id":"c-1","email":"a@example.com"}')
    assert.throws(
      () =>
        contract.newEvent('customer.updated', {
          ...entity,
          providerEventId: 'c-1-v2',
          // @ts-expect-error a date is not a string; it would reach consumers as one, so the type refuses it
          payload: { id: 'c-1', email: 'a@example.com', plan: new Date() },
        }),
      isValidation,
    )
    assert.throws(
      // @ts-expect-error an undeclared event type
      () => contract.newEvent('order.created', { ...entity, providerEventId: 'x', payload: {} }),
      isValidation,
    )
  })

  it('infers payload types from the schemas (checked by the type check)', () => {
    expectType<Equal<EventType<typeof contract>, 'customer.updated' | 'invoice.paid'>>()
    expectType<
      Equal<
        EventPayload<typeof contract, 'customer.updated'>,
        { id: string; email: string; plan: 'free' | 'pro' }
      >
    >()
    // A producer may leave out what has a default.
    expectType<
      Equal<
        EventInput<typeof contract, 'customer.updated'>,
        { id: string; email: string; plan?: 'free' | 'pro' | undefined }
      >
    >()

    const options: TypedSubscribeOptions<typeof contract.schemas> = {
      transport: undefined as never,
      codec: undefined as never,
      groupId: 'g',
      topics: ['t'],
      events: contract,
      handlers: {
        'customer.updated': async ({ payload, event }) => {
          expectType<Equal<typeof payload, { id: string; email: string; plan: 'free' | 'pro' }>>()
          expectType<Equal<typeof event, ConsumedEvent['event']>>()
          void event
          // @ts-expect-error no such field on the payload
          void payload.amountCents
        },
        'invoice.paid': async ({ payload, type }) => {
          expectType<Equal<typeof type, 'invoice.paid'>>()
          void type
          const cents: number = payload.amountCents
          void cents
        },
        // @ts-expect-error a handler for a type the contract does not declare
        'order.created': async () => {},
      },
    }
    void options

    // Inferred at the call itself, without annotations; never called.
    const settings = { transport: undefined as never, codec: undefined as never, groupId: 'g', topics: ['t'] }
    const typedCall = () =>
      subscribe({
        ...settings,
        events: contract,
        handlers: {
          'invoice.paid': async ({ payload }) => {
            expectType<Equal<typeof payload, { invoiceId: string; amountCents: number }>>()
            void payload
          },
        },
      })
    const mixedCall = () =>
      // @ts-expect-error the typed and the untyped form mixed
      subscribe({ ...settings, events: contract, handlers: {}, handleEvent: async () => {} })
    void [typedCall, mixedCall]

    // The untyped API stays as it was.
    const untyped: SubscribeOptions = {
      transport: undefined as never,
      codec: undefined as never,
      groupId: 'g',
      topics: ['t'],
      handleEvent: async ({ event }) => void event.rawBody,
    }
    void untyped
  })
})
