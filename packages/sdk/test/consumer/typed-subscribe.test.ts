import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LedgerEvent } from '@integration-ledger/core'
import { waitFor } from '@integration-ledger/testing'
import { z } from 'zod'
import {
  RETRY_HEADERS,
  buildEvent,
  defineEvents,
  dlqTopicName,
  retryTopicName,
} from '@integration-ledger/sdk'
import { TEST_TIERS, consumerFixture } from './helpers.js'

const billing = defineEvents({
  'customer.updated': z.object({ id: z.string(), email: z.email(), cardLast4: z.string().length(4) }),
  'invoice.paid': z.object({ invoiceId: z.string(), amountCents: z.number().int().positive() }),
})

let n = 0
function event(type: string, entityId: string, body: unknown): LedgerEvent {
  n++
  return buildEvent({
    source: 'billing',
    providerEventId: `${type}-${entityId}-${n}-${Date.now()}`,
    type,
    entityType: 'customer',
    entityId,
    entityVersion: n,
    ...(Buffer.isBuffer(body) ? { rawBody: body } : { payload: body }),
  })
}

describe('subscribe with a contract: typed handlers', () => {
  it('hands valid payloads to their handlers typed, dead-letters the invalid ones, holds nothing back', async (t) => {
    // One partition, everything published before the subscription: one batch.
    const f = await consumerFixture(t, 1)
    const secretCard = '4242424242424242'
    await f.publish([
      event('customer.updated', 'c-1', { id: 'c-1', email: 'ada@example.com', cardLast4: '4242' }),
      event('customer.updated', 'c-2', { id: 'c-2', email: 'not-an-email', cardLast4: secretCard }),
      event('invoice.paid', 'c-1', { invoiceId: 'in-1', amountCents: 1200 }),
      event('invoice.paid', 'c-3', Buffer.from('{"invoiceId": "in-2", amountCents')),
      event('plan.changed', 'c-1', { plan: 'pro' }), // not in the contract: skipped and committed
      event('customer.updated', 'c-4', { id: 'c-4', email: 'bob@example.com', cardLast4: '0005' }),
    ])
    const customers: { id: string; email: string; last4: string }[] = []
    const invoices: number[] = []
    const sub = await f.subscribe({
      events: billing,
      handlers: {
        'customer.updated': async ({ payload }) => {
          customers.push({ id: payload.id, email: payload.email, last4: payload.cardLast4 })
        },
        'invoice.paid': async ({ payload, event }) => {
          assert.equal(event.type, 'invoice.paid')
          invoices.push(payload.amountCents)
        },
      },
    })

    const dlq = await waitFor(async () => {
      const records = await f.read(dlqTopicName(f.group))
      return records.length === 2 && records
    })
    await waitFor(() => customers.length === 2 && invoices.length === 1, {
      description: 'valid ones handled',
    })
    assert.deepEqual(customers, [
      { id: 'c-1', email: 'ada@example.com', last4: '4242' },
      { id: 'c-4', email: 'bob@example.com', last4: '0005' },
    ])
    assert.deepEqual(invoices, [1200])

    const [badCustomer, badInvoice] = dlq.map((r) => r.headers)
    assert.equal(badCustomer![RETRY_HEADERS.errorClass], 'VALIDATION_FAILED')
    assert.equal(badCustomer![RETRY_HEADERS.failureKind], 'permanent')
    assert.equal(badCustomer![RETRY_HEADERS.originalOffset], '1')
    const message = badCustomer![RETRY_HEADERS.errorMessage]!
    assert.match(message, /customer\.updated/)
    assert.match(message, /email: Invalid email address/)
    assert.match(message, /cardLast4: Too big: expected string to have exactly 4 characters/)
    assert.ok(!message.includes(secretCard) && !message.includes('not-an-email'), message)
    assert.equal(badInvoice![RETRY_HEADERS.originalOffset], '3')
    assert.match(badInvoice![RETRY_HEADERS.errorMessage]!, /invoice\.paid.*not valid JSON/)
    for (const tier of TEST_TIERS) assert.deepEqual(await f.read(retryTopicName(f.group, tier)), [])

    // Offsets committed: the same group, joined again, reads only what comes after.
    await sub.close()
    const seen: string[] = []
    await f.subscribe({
      events: billing,
      handlers: { 'invoice.paid': async ({ payload }) => void seen.push(payload.invoiceId) },
      fallback: async ({ event }) => void seen.push(`fallback:${event.type}`),
    })
    await f.publish([event('invoice.paid', 'c-9', { invoiceId: 'in-9', amountCents: 1 })])
    await waitFor(() => seen.length >= 1, { description: 'the new event' })
    assert.deepEqual(seen, ['in-9'])
  })

  it('gives events without a handler to the fallback, and handler failures take the usual routes', async (t) => {
    const f = await consumerFixture(t, 1)
    const fallback: string[] = []
    let paid = 0
    await f.subscribe({
      events: billing,
      handlers: {
        'invoice.paid': async ({ attempt }) => {
          paid++
          if (attempt === 0) throw new Error('socket hang up') // unclassified: transient, retried
        },
      },
      fallback: async ({ event }) => void fallback.push(event.type),
    })
    await f.publish([
      event('plan.changed', 'c-1', { plan: 'pro' }),
      // Declared but without a handler here: the fallback gets it, unvalidated.
      event('customer.updated', 'c-1', { nothing: 'checked' }),
      event('invoice.paid', 'c-1', { invoiceId: 'in-1', amountCents: 5 }),
    ])
    await waitFor(() => paid === 2, { timeoutMs: 20_000, description: 'retried once, then handled' })
    assert.deepEqual(fallback, ['plan.changed', 'customer.updated'])
    assert.equal((await f.read(retryTopicName(f.group, TEST_TIERS[0]!))).length, 1)
    assert.deepEqual(await f.read(dlqTopicName(f.group)), [])
  })

  it('refuses options that mix the typed and the untyped API', async (t) => {
    const f = await consumerFixture(t, 1)
    await assert.rejects(
      // @ts-expect-error handleEvent and handlers together
      f.subscribe({ events: billing, handlers: {}, handleEvent: async () => {} }),
      /CONFIG_INVALID|not both/,
    )
    await assert.rejects(
      f.subscribe({ events: billing, handlers: { 'order.created': async () => {} } as never }),
      /order\.created.*not declared/,
    )
  })
})
