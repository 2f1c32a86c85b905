import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TransientError } from '@integration-ledger/core'
import { waitFor } from '@integration-ledger/testing'
import { dlqTopicName, retryTopicName } from '@integration-ledger/sdk'
import { Registry } from 'prom-client'
import { TEST_TIERS, consumerFixture, testEvent } from './helpers.js'

const metricValue = async (registry: Registry, name: string, labels: Record<string, string>) => {
  const metric = await registry.getSingleMetric(name)?.get()
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value
}

describe('subscribe: flow control', () => {
  it('holds a retry record until due without blocking other partitions', async (t) => {
    const f = await consumerFixture(t)
    const registry = new Registry()
    const tier = { name: '3s', delayMs: 3000 }
    const handledAt = new Map<string, number>()
    let failedAt = 0
    await f.subscribe({
      retry: { tiers: [tier] },
      metrics: registry,
      handleEvent: async ({ event, attempt }) => {
        if (event.entityId === 'late' && attempt === 0) {
          failedAt = Date.now()
          throw new TransientError('PROVIDER_RATE_LIMITED', 'provider answered 429')
        }
        handledAt.set(event.entityId, Date.now())
      },
    })
    await f.publish([testEvent('late', 1)])
    await waitFor(() => failedAt > 0)
    // The retry partition now waits for its due time; records keep flowing meanwhile.
    await waitFor(
      async () => (await metricValue(registry, 'ledger_consumer_paused_partitions', { reason: 'due' })) === 1,
    )
    const partitions = await f.publish(Array.from({ length: 10 }, (_, i) => testEvent(`flow-${i}`, 1)))
    assert.equal(new Set(partitions).size, 2, 'the flowing records cover both partitions')
    await waitFor(() => [...handledAt.keys()].filter((k) => k.startsWith('flow-')).length === 10)
    assert.equal(handledAt.has('late'), false, 'the retry record is not delivered early')
    assert.ok(Math.max(...handledAt.values()) < failedAt + tier.delayMs, 'others flowed before it was due')
    const late = await waitFor(() => handledAt.get('late'), { timeoutMs: 15_000 })
    assert.ok(late >= failedAt + tier.delayMs, `delivered when due (after ${late - failedAt} ms)`)
    await waitFor(
      async () => (await metricValue(registry, 'ledger_consumer_paused_partitions', { reason: 'due' })) === 0,
    )
    assert.equal(await metricValue(registry, 'ledger_consumer_retries_total', { tier: '3s' }), 1)
  })

  it('pauses on a sink outage instead of retrying, then applies everything once it is back', async (t) => {
    const f = await consumerFixture(t)
    const registry = new Registry()
    let sinkUp = false
    const applied = new Map<string, number>()
    let refusals = 0
    await f.subscribe({
      metrics: registry,
      handleBatch: async (events) => {
        if (!sinkUp) {
          refusals++
          throw new TransientError('DATABASE_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:5432')
        }
        for (const { event } of events) applied.set(event.eventId, (applied.get(event.eventId) ?? 0) + 1)
      },
    })
    const events = Array.from({ length: 30 }, (_, i) => testEvent(`sink-${i % 7}`, i + 1))
    await f.publish(events)
    await waitFor(
      async () =>
        (await metricValue(registry, 'ledger_consumer_sink_breaker_open', { group: f.group })) === 1,
    )
    await waitFor(() => refusals >= 3, { description: 'probes while the sink is down' })
    sinkUp = true
    await waitFor(() => applied.size === events.length, { timeoutMs: 15_000, description: 'all applied' })
    assert.ok(
      [...applied.values()].every((n) => n === 1),
      'each event applied once',
    )
    await waitFor(
      async () =>
        (await metricValue(registry, 'ledger_consumer_sink_breaker_open', { group: f.group })) === 0,
    )
    for (const tier of TEST_TIERS) assert.deepEqual(await f.read(retryTopicName(f.group, tier)), [])
    assert.deepEqual(await f.read(dlqTopicName(f.group)), [])
    assert.equal(
      await metricValue(registry, 'ledger_consumer_events_total', { outcome: 'handled' }),
      events.length,
    )
  })

  it('finishes and commits the batch in flight on close, so a restart redelivers nothing', async (t) => {
    const f = await consumerFixture(t)
    const seen: string[] = []
    let inFlight = false
    const subscription = await f.subscribe({
      handleBatch: async (events) => {
        inFlight = true
        await new Promise((resolve) => setTimeout(resolve, 500))
        seen.push(...events.map((e) => e.event.eventId))
      },
    })
    const events = Array.from({ length: 20 }, (_, i) => testEvent(`shut-${i}`, 1))
    await f.publish(events)
    await waitFor(() => inFlight)
    await subscription.close()
    const handledBeforeClose = seen.length
    assert.ok(handledBeforeClose > 0, 'the in-flight batch finished')

    const admin = f.transport.admin()
    await admin.connect()
    t.after(() => admin.disconnect())
    const committed = await admin.groupOffsets(f.group, f.topic)
    const total = committed.reduce((n, o) => n + Math.max(0, Number(o.offset)), 0)
    assert.equal(total, handledBeforeClose, 'committed exactly what was handled')

    const again: string[] = []
    await f.subscribe({ handleBatch: async (batch) => void again.push(...batch.map((e) => e.event.eventId)) })
    await waitFor(() => seen.length + again.length === events.length)
    assert.equal(new Set([...seen, ...again]).size, events.length, 'nothing handled twice')
  })
})
