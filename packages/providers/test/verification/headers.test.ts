import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readHeader } from '../../src/verification/headers.js'

describe('readHeader', () => {
  it('reads by lower-cased name and trims', () => {
    assert.deepEqual(readHeader({ 'x-sig': ' abc ' }, 'X-Sig'), { status: 'present', value: 'abc' })
  })

  it('treats absent and blank values as missing and several values as repeated', () => {
    assert.deepEqual(readHeader({}, 'x'), { status: 'missing' })
    assert.deepEqual(readHeader({ x: '' }, 'x'), { status: 'missing' })
    assert.deepEqual(readHeader({ x: [] }, 'x'), { status: 'missing' })
    assert.deepEqual(readHeader({ x: ['a'] }, 'x'), { status: 'present', value: 'a' })
    assert.deepEqual(readHeader({ x: ['a', 'b'] }, 'x'), { status: 'repeated' })
  })
})
