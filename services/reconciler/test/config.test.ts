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

  it('reads a GitHub source: repository, hook, token variable; issues by default', () => {
    const config = loadReconcilerConfig({
      RECONCILER_SOURCES:
        '[{"name":"code","kind":"github","owner":"acme","repo":"widgets","hookId":424242,"pageSize":50}]',
      GITHUB_TOKEN: 'ghp_x',
    })
    const [code] = config.sources
    assert.equal(code?.kind, 'github')
    if (code?.kind !== 'github') return
    assert.equal(code.baseUrl, 'https://api.github.com')
    assert.equal(code.credentialEnv, 'GITHUB_TOKEN')
    assert.equal(code.secret, 'ghp_x')
    assert.deepEqual(code.entityTypes, ['issue'])
    assert.equal(code.hookId, 424242)
    assert.equal(code.redeliveryMaxAttempts, 3)
    assert.throws(
      () => loadReconcilerConfig({ RECONCILER_SOURCES: '[{"name":"code","kind":"github","owner":"acme"}]' }),
      /RECONCILER_SOURCES\[0\.repo\]/,
    )
    assert.throws(
      () => loadReconcilerConfig({ RECONCILER_SOURCES: '[{"name":"x","kind":"gitlab"}]' }),
      /RECONCILER_SOURCES\[0\.kind\]/,
    )
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
