import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock, SMALL, startFakes } from './support.js'

describe('startFakeProviders', () => {
  it('generates the same data from the same seed and clock, and other data from another seed', async (t) => {
    const at = Date.UTC(2026, 0, 15)
    const a = await startFakes(t, { ...SMALL, seed: 42, clock: new ManualClock(at) })
    const b = await startFakes(t, { ...SMALL, seed: 42, clock: new ManualClock(at) })
    const c = await startFakes(t, { ...SMALL, seed: 43, clock: new ManualClock(at) })
    const snapshot = (f: typeof a) => ({
      customers: f.stripe.records.collection('customer').live(),
      events: f.stripe.records.events.live().map((e) => e.id),
      orders: f.shopify.records.list('order'),
      issues: f.github.records.threads,
      deliveries: f.github.records.deliveries.map((d) => d.guid),
    })
    assert.deepEqual(snapshot(a), snapshot(b))
    assert.notDeepEqual(snapshot(a).customers, snapshot(c).customers)
    assert.notEqual(a.credentials.stripe.baseUrl, b.credentials.stripe.baseUrl)
  })

  it('gives each provider its own origin and the credentials it accepts', async (t) => {
    const fakes = await startFakes(t, SMALL)
    const origins = new Set([fakes.stripe.baseUrl, fakes.shopify.baseUrl, fakes.github.baseUrl])
    assert.equal(origins.size, 3)
    assert.equal(
      fakes.credentials.shopify.graphqlUrl,
      `${fakes.shopify.baseUrl}/admin/api/2025-01/graphql.json`,
    )
    assert.match(fakes.credentials.stripe.secretKey, /^sk_test_/)
    assert.match(fakes.credentials.github.token, /^ghp_/)
    assert.match(fakes.credentials.shopify.accessToken, /^shpat_/)
  })
})
