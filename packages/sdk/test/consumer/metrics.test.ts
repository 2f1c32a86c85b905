import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { waitFor } from '@integration-ledger/testing'
import { Registry } from 'prom-client'
import { consumerFixture, testEvent } from './helpers.js'

describe('subscribe: metrics the alert rules read', () => {
  it('exports the Kafka timestamp of the last committed record per partition', async (t) => {
    const f = await consumerFixture(t, 1)
    const registry = new Registry()
    let handled = 0
    await f.subscribe({
      metrics: registry,
      handleEvent: async () => {
        handled++
      },
    })
    const before = Date.now()
    await f.publish([testEvent('stamp-1', 1), testEvent('stamp-2', 1)])
    const after = Date.now()
    await waitFor(() => handled === 2, { description: 'both handled' })
    const series = await waitFor(async () => {
      const metric = await registry
        .getSingleMetric('ledger_consumer_committed_record_timestamp_seconds')
        ?.get()
      return metric?.values.find((v) => v.labels.topic === f.topic && v.labels.partition === '0')
    })
    assert.equal(series.labels.group, f.group)
    // Seconds, within the produce window: the oldest unprocessed record is at most this old.
    assert.ok(
      series.value >= Math.floor(before / 1000) && series.value <= after / 1000 + 1,
      `timestamp ${series.value} between ${before / 1000} and ${after / 1000}`,
    )
  })
})
