import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ConsumerState } from '@integration-ledger/sdk'
import { joinForeignGroupMember, stackEnv, waitFor } from '@integration-ledger/testing'
import { Registry } from 'prom-client'
import { consumerFixture, testEvent } from './helpers.js'

describe('subscribe: a consumer the Kafka client gives up for good', () => {
  it('reports the crash, recreates the consumer with backoff and consumes again (policy recreate)', async (t) => {
    const f = await consumerFixture(t)
    const foreign = await joinForeignGroupMember(f.cleanup, {
      brokers: stackEnv().kafkaBrokers,
      groupId: f.group,
      topic: f.topic,
    })
    const states: ConsumerState[] = []
    const handled: string[] = []
    const registry = new Registry()
    const subscription = await f.subscribe({
      metrics: registry,
      fatalCrash: { initialBackoffMs: 100, maxBackoffMs: 500 },
      onStateChange: (state) => states.push(state),
      handleEvent: async ({ event }) => void handled.push(event.eventId),
    })
    await waitFor(() => subscription.state === 'recreating', { description: 'state recreating' })
    const metrics = await registry.metrics()
    assert.match(metrics, new RegExp(`ledger_consumer_consuming\\{group="${f.group}"\\} 0`))
    assert.match(metrics, /ledger_consumer_crashes_total\{group="[^"]+",recovery="recreate"\} [1-9]/)

    await foreign.leave()
    await waitFor(() => subscription.state === 'consuming', {
      timeoutMs: 30_000,
      description: 'a recreated consumer joined',
    })
    const event = testEvent('e1', 1)
    await f.publish([event])
    await waitFor(() => handled.includes(event.eventId), { description: 'the event handled' })
    assert.equal(states[0], 'recreating', 'the first join was refused')
    assert.equal(states.at(-1), 'consuming')
    assert.match(await registry.metrics(), new RegExp(`ledger_consumer_consuming\\{group="${f.group}"\\} 1`))
  })

  it('enters failed and reports the cause under policy fail', async (t) => {
    const f = await consumerFixture(t)
    await joinForeignGroupMember(f.cleanup, {
      brokers: stackEnv().kafkaBrokers,
      groupId: f.group,
      topic: f.topic,
    })
    let failure: unknown
    const subscription = await f.subscribe({
      fatalCrash: { policy: 'fail' },
      onStateChange: (state, err) => {
        if (state === 'failed') failure = err
      },
      handleEvent: async () => {},
    })
    await waitFor(() => subscription.state === 'failed', { description: 'state failed' })
    assert.equal((failure as { type?: string }).type, 'INCONSISTENT_GROUP_PROTOCOL')
  })
})
