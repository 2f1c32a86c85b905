import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { LedgerError, parseEventBody } from '@integration-ledger/core'
import { IngestClient, defineEvents } from '@integration-ledger/sdk'
import { cleanupScope } from '@integration-ledger/testing'
import { z } from 'zod'
import { startHarness } from '../helpers/harness.js'

const TOKEN = 'orders-service-token-0123456789'
const orders = defineEvents({
  'order.updated': z.object({ status: z.enum(['open', 'paid']), totalCents: z.number().int().min(0) }),
})

describe('IngestClient.postTyped (real ingest, Kafka and PostgreSQL)', () => {
  it('posts a payload that passes the contract and refuses, posting nothing, one that fails', async (test) => {
    const t = cleanupScope(test)
    const h = await startHarness(t, { sources: [], env: { INGEST_EVENT_TOKENS: `orders=${TOKEN}` } })
    await h.app.listen({ host: '127.0.0.1', port: 0 })
    const address = h.app.server.address()
    assert(address && typeof address === 'object')
    const client = new IngestClient({ url: `http://127.0.0.1:${address.port}`, token: TOKEN })
    const envelope = { source: 'orders', entityType: 'order', entityId: 'order-1', entityVersion: 1 }

    await assert.rejects(
      client.postTyped(
        orders,
        'order.updated',
        // @ts-expect-error 'shipped' is not a status of the contract
        { ...envelope, providerEventId: 'order-1-v1', payload: { status: 'shipped', totalCents: 100 } },
        randomUUID(),
      ),
      (err) => {
        assert.ok(err instanceof LedgerError && err.code === 'VALIDATION_FAILED' && !err.retryable)
        assert.match(err.message, /order\.updated payload fails its schema: status: Invalid option/)
        return true
      },
    )
    assert.equal(await h.countRecords(), 0, 'nothing was posted')

    const result = await client.postTyped(
      orders,
      'order.updated',
      { ...envelope, providerEventId: 'order-1-v2', payload: { status: 'paid', totalCents: 100 } },
      randomUUID(),
    )
    const [stored] = await h.events()
    assert.equal(stored?.eventId, result.eventId)
    assert.equal(stored?.type, 'order.updated')
    assert.deepEqual(parseEventBody(stored), { status: 'paid', totalCents: 100 })
  })
})
