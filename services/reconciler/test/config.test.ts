import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadReconcilerConfig } from '../src/config.js'

describe('loadReconcilerConfig', () => {
  it('defaults to the billing Stripe source, unscheduled and without a key', () => {
    const config = loadReconcilerConfig({})
    assert.equal(config.port, 8083)
    assert.deepEqual(config.tokens, [])
    assert.equal(config.sources.length, 1)
    const [billing] = config.sources
    assert.equal(billing?.name, 'billing')
    assert.equal(billing?.topic, 'ledger.events')
    assert.deepEqual(billing?.entityTypes, ['customer'])
    assert.equal(billing?.intervalSeconds, undefined)
    assert.equal(billing?.secret, undefined)
  })

  it('reads the key from the variable the source names, and the named tokens', () => {
    const config = loadReconcilerConfig({
      RECONCILER_TOKENS: 'ada=0123456789abcdef0,ops=fedcba98765432100',
      RECONCILER_SOURCES:
        '[{"name":"billing","kind":"stripe","credentialEnv":"BILLING_KEY","intervalSeconds":600}]',
      BILLING_KEY: 'sk_test_x',
    })
    assert.deepEqual(
      config.tokens.map((t) => t.name),
      ['ada', 'ops'],
    )
    assert.equal(config.sources[0]?.secret, 'sk_test_x')
    assert.equal(config.sources[0]?.intervalSeconds, 600)
  })

  it('fails fast naming what is wrong, never printing a token', () => {
    assert.throws(
      () => loadReconcilerConfig({ RECONCILER_TOKENS: 'ada=short' }),
      /RECONCILER_TOKENS: each entry/,
    )
    assert.throws(() => loadReconcilerConfig({ RECONCILER_SOURCES: 'nope' }), /RECONCILER_SOURCES: not JSON/)
    assert.throws(
      () =>
        loadReconcilerConfig({
          RECONCILER_SOURCES: '[{"name":"x","kind":"stripe","entityTypes":["invoice"]}]',
        }),
      /RECONCILER_SOURCES\[0\.entityTypes\.0\]/,
    )
  })
})
