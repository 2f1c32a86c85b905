import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isWithinTolerance, parseUnixSeconds, resolveTolerance } from '../../src/verification/tolerance.js'

describe('tolerance', () => {
  it('is inclusive at the edges and clamped on both sides', () => {
    assert.equal(isWithinTolerance(1000, 1_300_000, 300), true)
    assert.equal(isWithinTolerance(1000, 1_300_001, 300), false)
    assert.equal(isWithinTolerance(1000, 700_000, 300), true)
    assert.equal(isWithinTolerance(1000, 699_999, 300), false)
  })

  it('parses unix seconds strictly', () => {
    assert.equal(parseUnixSeconds('1614265330'), 1614265330)
    for (const bad of ['', '-1', '1e9', '1614265330.5', ' 1', '0x10', '1234567890123'])
      assert.equal(parseUnixSeconds(bad), undefined, bad)
  })

  it('defaults to 300 s and refuses non-positive values', () => {
    assert.equal(resolveTolerance(undefined, 'stripe'), 300)
    for (const bad of [0, -5, Number.POSITIVE_INFINITY])
      assert.throws(() => resolveTolerance(bad, 'stripe'), { code: 'CONFIG_INVALID' })
  })
})
