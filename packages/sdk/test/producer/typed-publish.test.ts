import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError, parseEventBody } from '@integration-ledger/core'
import { cleanupScope, stackEnv, uniqueName } from '@integration-ledger/testing'
import { z } from 'zod'
import { EnvelopeCodec, LedgerPublisher, createKafkajsTransport, defineEvents } from '@integration-ledger/sdk'
import { readTopic } from '../../src/read-topic.js'

const billing = defineEvents({
  'invoice.paid': z.object({ invoiceId: z.string(), amountCents: z.number().int().positive() }),
})

describe('LedgerPublisher.publishTyped', () => {
  it('publishes a payload that passes the contract and refuses, sending nothing, one that fails', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const transport = createKafkajsTransport({
      brokers: stack.kafkaBrokers,
      clientId: 'sdk-typed-publish-test',
    })
    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const topic = uniqueName('test.typed')
    const admin = transport.admin()
    await admin.connect()
    await admin.ensureTopics([{ topic, partitions: 1, replicationFactor: 1, config: {} }])
    t.after(async () => {
      await admin.deleteTopics([topic]).catch(() => {})
      await admin.disconnect()
    })
    const publisher = await LedgerPublisher.connect({ transport, codec, defaultTopic: topic })
    t.after(() => publisher.close())
    const envelope = { source: 'billing', entityType: 'invoice', entityId: 'in-1', entityVersion: 1 }

    const outcomes: string[] = []
    await assert.rejects(
      publisher.publishTyped(
        billing,
        'invoice.paid',
        { ...envelope, providerEventId: 'in-1-bad', payload: { invoiceId: 'in-1', amountCents: -5 } },
        { onOutcome: (outcome) => void outcomes.push(outcome) },
      ),
      (err) => {
        assert.ok(err instanceof LedgerError && err.code === 'VALIDATION_FAILED' && !err.retryable)
        assert.match(err.message, /invoice\.paid payload fails its schema: amountCents: Too small/)
        return true
      },
    )
    assert.deepEqual(outcomes, ['withdrawn'])

    const sent = await publisher.publishTyped(billing, 'invoice.paid', {
      ...envelope,
      providerEventId: 'in-1-good',
      payload: { invoiceId: 'in-1', amountCents: 1200 },
    })
    assert.equal(sent.type, 'invoice.paid')
    const records = await readTopic(transport, topic)
    assert.equal(records.length, 1, 'only the valid event reached the topic')
    const stored = await codec.decode(records[0]!.value!)
    assert.equal(stored.eventId, sent.eventId)
    assert.equal(stored.contentType, 'application/json')
    assert.deepEqual(parseEventBody(stored), { invoiceId: 'in-1', amountCents: 1200 })
  })
})
