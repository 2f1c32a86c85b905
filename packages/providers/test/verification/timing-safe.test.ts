import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { findMatchingSecret, safeEqual } from '../../src/verification/timing-safe.js'

const a = Buffer.from('aaaa')
const b = Buffer.from('bbbb')
const c = Buffer.from('cccc')

describe('timing-safe comparison', () => {
  it('compares buffers of different lengths without throwing', () => {
    assert.equal(safeEqual(a, Buffer.from('aa')), false)
    assert.equal(safeEqual(a, Buffer.from('aaaa')), true)
  })

  it('finds the lowest matching secret index across all candidates', () => {
    assert.equal(findMatchingSecret([a, b], [c, b]), 1)
    assert.equal(findMatchingSecret([a, b], [b, a]), 0)
    assert.equal(findMatchingSecret([a, b], [c]), -1)
    assert.equal(findMatchingSecret([a], []), -1)
  })
})
