import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError, PermanentError, TransientError } from '@integration-ledger/core'
import type { IncomingRecord } from '@integration-ledger/kafka'
import { RETRY_HEADERS } from '@integration-ledger/sdk'
import { resolveSubscribeOptions } from '../../src/consumer/options.js'
import { routeFailure } from '../../src/consumer/retry-router.js'

const tiers = [
  { name: 'a', delayMs: 100 },
  { name: 'b', delayMs: 1000 },
]
const policy = { groupId: 'g', tiers, maxAttempts: 3 }
const now = new Date('2025-01-01T00:00:00Z')
const record = (headers: Record<string, string> = {}): IncomingRecord => ({
  topic: 'ledger.events',
  partition: 2,
  offset: '41',
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: { 'ledger-event-id': 'e1', ...headers },
  timestamp: 0,
})

describe('routeFailure', () => {
  it('routes a first transient failure to the first tier with due time and origin', () => {
    const route = routeFailure(record(), new TransientError('BROKER_TIMEOUT', 'slow'), policy, now)
    assert.equal(route.kind, 'retry')
    assert.equal(route.record.topic, 'g.retry.a')
    assert.deepEqual(route.record.headers, {
      'ledger-event-id': 'e1',
      [RETRY_HEADERS.originalTopic]: 'ledger.events',
      [RETRY_HEADERS.originalPartition]: '2',
      [RETRY_HEADERS.originalOffset]: '41',
      [RETRY_HEADERS.attempt]: '1',
      [RETRY_HEADERS.firstFailureAt]: now.toISOString(),
      [RETRY_HEADERS.lastFailureAt]: now.toISOString(),
      [RETRY_HEADERS.errorClass]: 'BROKER_TIMEOUT',
      [RETRY_HEADERS.errorMessage]: 'slow',
      [RETRY_HEADERS.failureKind]: 'transient',
      [RETRY_HEADERS.dueAt]: '2025-01-01T00:00:00.100Z',
      [RETRY_HEADERS.consumerGroup]: 'g',
    })
  })

  it('keeps origin and first failure across tiers, repeats the last tier, then exhausts', () => {
    const retried = record({
      [RETRY_HEADERS.originalTopic]: 'ledger.events',
      [RETRY_HEADERS.originalPartition]: '5',
      [RETRY_HEADERS.originalOffset]: '7',
      [RETRY_HEADERS.firstFailureAt]: '2024-12-31T00:00:00.000Z',
      [RETRY_HEADERS.attempt]: '2',
      [RETRY_HEADERS.dueAt]: 'x',
    })
    const route = routeFailure({ ...retried, topic: 'g.retry.b' }, new Error('boom'), policy, now)
    assert.equal(route.record.topic, 'g.retry.b')
    assert.equal(route.record.headers?.[RETRY_HEADERS.originalPartition], '5')
    assert.equal(route.record.headers?.[RETRY_HEADERS.firstFailureAt], '2024-12-31T00:00:00.000Z')
    assert.equal(route.record.headers?.[RETRY_HEADERS.attempt], '3')
    const last = { ...retried, headers: { ...retried.headers, [RETRY_HEADERS.attempt]: '3' } }
    const exhausted = routeFailure(last, new Error('boom'), policy, now)
    assert.deepEqual([exhausted.kind, exhausted.record.topic], ['dlq', 'g.dlq'])
    assert.equal(exhausted.record.headers?.[RETRY_HEADERS.failureKind], 'exhausted')
    assert.equal(exhausted.record.headers?.[RETRY_HEADERS.dueAt], undefined)
  })

  it('classifies permanent and poison failures, truncating long messages', () => {
    const permanent = routeFailure(
      record(),
      new PermanentError('VALIDATION_FAILED', 'x'.repeat(1000)),
      policy,
      now,
    )
    assert.equal(permanent.record.headers?.[RETRY_HEADERS.failureKind], 'permanent')
    assert.equal(permanent.record.headers?.[RETRY_HEADERS.errorMessage]?.length, 300)
    const poison = routeFailure(record(), new PermanentError('DECODE_FAILED', 'bad bytes'), policy, now)
    assert.equal(poison.record.headers?.[RETRY_HEADERS.failureKind], 'poison')
    // The outermost ledger error decides: a permanent wrapper around a transient cause is permanent.
    const wrapped = new LedgerError('HANDLER_FAILED', 'rule', {
      cause: new TransientError('BROKER_TIMEOUT', 't'),
    })
    assert.equal(routeFailure(record(), wrapped, policy, now).kind, 'dlq')
  })
})

describe('resolveSubscribeOptions', () => {
  const base = {
    transport: {} as never,
    codec: {} as never,
    groupId: 'g',
    topics: ['t'],
    handleEvent: async () => {},
  }
  it('fills defaults and rejects bad values naming the option', () => {
    const resolved = resolveSubscribeOptions(base)
    assert.deepEqual(
      resolved.tiers.map((t) => t.name),
      ['5s', '1m', '10m'],
    )
    assert.equal(resolved.maxAttempts, 3)
    assert.throws(
      () => resolveSubscribeOptions({ ...base, handleEvent: undefined }),
      /handleBatch or handleEvent/,
    )
    assert.throws(
      () => resolveSubscribeOptions({ ...base, retry: { tiers: [{ name: 'a b', delayMs: 1 }] } }),
      /tiers\.0\.name: tier names become topic names/,
    )
    assert.throws(
      () => resolveSubscribeOptions({ ...base, sinkBreaker: { initialBackoffMs: 500, maxBackoffMs: 100 } }),
      /maxBackoffMs must be at least/,
    )
  })
})
