import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { LedgerError, envelopeSubject, type LedgerEvent } from '@integration-ledger/core'
import { EnvelopeCodec } from '@integration-ledger/registry'
import { stackEnv, uniqueName } from '@integration-ledger/testing'

function sampleEvent(rawBody: Buffer): LedgerEvent {
  return {
    eventId: '0606ebfe-7fb9-8167-a516-9d8afabb2457',
    source: 'acme',
    sourceKind: 'standard',
    providerEventId: 'msg_1',
    type: 'customer.updated',
    entityType: 'customer',
    entityId: 'cus_1',
    entityVersion: 1_700_000_000_123,
    occurredAt: new Date('2026-11-01T10:00:00.123Z'),
    receivedAt: new Date('2026-11-01T10:00:01.456Z'),
    correlationId: 'corr-1',
    headers: { 'webhook-id': 'msg_1' },
    contentType: 'application/json',
    rawBody,
  }
}

describe('EnvelopeCodec against the real schema registry', () => {
  it('registers a new topic from several processes at once (replicas starting together): one ID, no refusal', async () => {
    const url = stackEnv().schemaRegistryUrl
    // The registry client checks a new subject's compatibility, registers it, then sets it:
    // another process in between found the registry's default and was refused (CI, two ingest
    // replicas). Twenty fresh topics, each registered by three codecs at the same moment.
    const topics = Array.from({ length: 20 }, () => uniqueName('codec-race'))
    const ids = await Promise.all(
      topics.map((topic) => Promise.all([1, 2, 3].map(() => new EnvelopeCodec({ url }).register(topic)))),
    )
    for (const [i, perTopic] of ids.entries())
      assert.equal(new Set(perTopic).size, 1, `one schema ID for ${topics[i]}`)
  })

  it('round-trips an event with the raw body byte-exact, including bytes that are not UTF-8', async () => {
    const codec = new EnvelopeCodec({ url: stackEnv().schemaRegistryUrl })
    const topic = uniqueName('codec')
    const rawBody = Buffer.concat([
      Buffer.from('{"a":"\u00e9"}\r\n'),
      randomBytes(64),
      Buffer.from([0xff, 0xfe, 0x00]),
    ])
    const encoded = await codec.encode(topic, sampleEvent(rawBody))
    assert.equal(encoded[0], 0, 'Confluent wire format starts with magic byte 0')
    const decoded = await new EnvelopeCodec({ url: stackEnv().schemaRegistryUrl }).decode(encoded)
    assert.deepEqual(decoded, sampleEvent(rawBody))
    assert(decoded.rawBody.equals(rawBody))
  })

  it('registers the schema under the topic subject once, and idempotently', async () => {
    const url = stackEnv().schemaRegistryUrl
    const topic = uniqueName('codec')
    const first = await new EnvelopeCodec({ url }).register(topic)
    const second = await new EnvelopeCodec({ url }).register(topic)
    assert.equal(first, second)
    const versions = (await (
      await fetch(`${url}/subjects/${envelopeSubject(topic)}/versions`)
    ).json()) as number[]
    assert.deepEqual(versions, [1])
  })

  it('calls undecodable bytes a permanent DECODE_FAILED, and an unreachable registry transient', async () => {
    const codec = new EnvelopeCodec({ url: stackEnv().schemaRegistryUrl })
    await assert.rejects(codec.decode(Buffer.from('not an envelope')), (err: unknown) => {
      return err instanceof LedgerError && err.code === 'DECODE_FAILED' && !err.retryable
    })
    const unreachable = new EnvelopeCodec({ url: 'http://127.0.0.1:1/apis/ccompat/v7' })
    await assert.rejects(unreachable.register('t'), (err: unknown) => {
      return err instanceof LedgerError && err.code === 'REGISTRY_UNAVAILABLE' && err.retryable
    })
  })
})
