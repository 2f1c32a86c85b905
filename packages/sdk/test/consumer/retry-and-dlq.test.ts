import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PermanentError, TransientError } from '@integration-ledger/core'
import { waitFor } from '@integration-ledger/testing'
import { RETRY_HEADERS, dlqTopicName, retryTopicName } from '@integration-ledger/sdk'
import { TEST_TIERS, consumerFixture, testEvent } from './helpers.js'

describe('subscribe: retry tiers and DLQ', () => {
  it('retries a transient failure through a tier and then handles it', async (t) => {
    const f = await consumerFixture(t)
    const calls = new Map<string, number>()
    const handled: string[] = []
    await f.subscribe({
      handleEvent: async ({ event, attempt }) => {
        const n = (calls.get(event.entityId) ?? 0) + 1
        calls.set(event.entityId, n)
        if (event.entityId === 'flaky' && attempt === 0) {
          throw new TransientError('PROVIDER_UNAVAILABLE', 'provider answered 503')
        }
        handled.push(`${event.entityId}@${attempt}`)
      },
    })
    await f.publish([testEvent('flaky', 1), testEvent('steady', 1)])
    await waitFor(() => handled.length === 2, { timeoutMs: 20_000, description: 'both handled' })
    assert.deepEqual(handled.sort(), ['flaky@1', 'steady@0'])
    const [retried] = await f.read(retryTopicName(f.group, TEST_TIERS[0]!))
    assert.ok(retried, 'the flaky record went through the first tier')
    const h = retried.headers
    assert.equal(h[RETRY_HEADERS.originalTopic], f.topic)
    assert.equal(h[RETRY_HEADERS.attempt], '1')
    assert.equal(h[RETRY_HEADERS.errorClass], 'PROVIDER_UNAVAILABLE')
    assert.equal(h[RETRY_HEADERS.errorMessage], 'provider answered 503')
    assert.equal(h[RETRY_HEADERS.failureKind], 'transient')
    assert.ok(Date.parse(h[RETRY_HEADERS.dueAt]!) - Date.parse(h[RETRY_HEADERS.firstFailureAt]!) >= 200)
    assert.deepEqual(await f.read(dlqTopicName(f.group)), [])
  })

  it('sends a permanent failure to the DLQ at once, with every header, and commits the rest', async (t) => {
    const f = await consumerFixture(t)
    const handled: string[] = []
    await f.subscribe({
      // A batch handler: its failure is isolated record by record.
      handleBatch: async (events) => {
        if (events.some((e) => e.event.entityId === 'bad')) {
          throw new PermanentError('VALIDATION_FAILED', 'amount must be positive')
        }
        handled.push(...events.map((e) => e.event.entityId))
      },
    })
    const partitions = await f.publish([testEvent('bad', 1), testEvent('good-1', 1), testEvent('good-2', 1)])
    const dlq = await waitFor(async () => {
      const records = await f.read(dlqTopicName(f.group))
      return records.length === 1 && records
    })
    await waitFor(() => handled.length === 2, { description: 'good records handled' })
    const h = dlq[0]!.headers
    assert.equal(h[RETRY_HEADERS.originalTopic], f.topic)
    assert.equal(h[RETRY_HEADERS.originalPartition], String(partitions[0]))
    assert.equal(h[RETRY_HEADERS.originalOffset], '0')
    assert.equal(h[RETRY_HEADERS.attempt], '0')
    assert.equal(h[RETRY_HEADERS.errorClass], 'VALIDATION_FAILED')
    assert.equal(h[RETRY_HEADERS.failureKind], 'permanent')
    assert.equal(h[RETRY_HEADERS.consumerGroup], f.group)
    assert.ok(h[RETRY_HEADERS.firstFailureAt] && h[RETRY_HEADERS.lastFailureAt])
    assert.equal(h[RETRY_HEADERS.dueAt], undefined)
    assert.equal(dlq[0]!.key?.toString(), 'bad')
    for (const tier of TEST_TIERS) assert.deepEqual(await f.read(retryTopicName(f.group, tier)), [])
  })

  it('sends a record to the DLQ as exhausted after the last tier', async (t) => {
    const f = await consumerFixture(t)
    const attempts: number[] = []
    await f.subscribe({
      retry: { tiers: TEST_TIERS, maxAttempts: 3 },
      handleEvent: async ({ attempt }) => {
        attempts.push(attempt)
        throw new Error('socket hang up') // unclassified: treated as transient
      },
    })
    await f.publish([testEvent('doomed', 1)])
    const [dead] = await waitFor(
      async () => {
        const records = await f.read(dlqTopicName(f.group))
        return records.length === 1 && records
      },
      { timeoutMs: 20_000 },
    )
    assert.deepEqual(attempts, [0, 1, 2, 3])
    assert.equal(dead!.headers[RETRY_HEADERS.failureKind], 'exhausted')
    assert.equal(dead!.headers[RETRY_HEADERS.attempt], '3')
    assert.equal(dead!.headers[RETRY_HEADERS.errorClass], 'Error')
    assert.equal(dead!.headers[RETRY_HEADERS.originalOffset], '0')
    // Tier 1 once, then tier 2 (the last) twice.
    assert.equal((await f.read(retryTopicName(f.group, TEST_TIERS[0]!))).length, 1)
    assert.equal((await f.read(retryTopicName(f.group, TEST_TIERS[1]!))).length, 2)
  })

  it('sends undecodable bytes to the DLQ as poison and keeps consuming', async (t) => {
    const f = await consumerFixture(t)
    const handled: string[] = []
    await f.subscribe({ handleEvent: async ({ event }) => void handled.push(event.entityId) })
    await f.produceRaw(Buffer.from('definitely not avro'), 'same-key')
    await f.publish([testEvent('same-key', 1)])
    await waitFor(() => handled.length === 1)
    const [poison] = await waitFor(async () => {
      const records = await f.read(dlqTopicName(f.group))
      return records.length === 1 && records
    })
    assert.equal(poison!.headers[RETRY_HEADERS.failureKind], 'poison')
    assert.equal(poison!.headers[RETRY_HEADERS.errorClass], 'DECODE_FAILED')
    assert.equal(poison!.value?.toString(), 'definitely not avro')
  })
})
