import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isValidPointer, resolvePointer } from '../../src/extraction/json-pointer.js'

// The example document of RFC 6901, section 5.
const rfc = {
  foo: ['bar', 'baz'],
  '': 0,
  'a/b': 1,
  'c%d': 2,
  'e^f': 3,
  'g|h': 4,
  'i\\j': 5,
  'k"l': 6,
  ' ': 7,
  'm~n': 8,
}

describe('resolvePointer', () => {
  it('resolves every example of RFC 6901 section 5', () => {
    const cases: [string, unknown][] = [
      ['', rfc],
      ['/foo', ['bar', 'baz']],
      ['/foo/0', 'bar'],
      ['/', 0],
      ['/a~1b', 1],
      ['/c%d', 2],
      ['/e^f', 3],
      ['/g|h', 4],
      ['/i\\j', 5],
      ['/k"l', 6],
      ['/ ', 7],
      ['/m~0n', 8],
    ]
    for (const [pointer, expected] of cases) assert.deepEqual(resolvePointer(rfc, pointer), expected, pointer)
  })

  it('decodes ~1 before ~0, so "~01" is the key "~1"', () => {
    assert.equal(resolvePointer({ '~1': 'tilde-one', '/': 'slash' }, '/~01'), 'tilde-one')
  })

  it('returns a value that does not start with "/" as a literal', () => {
    assert.equal(resolvePointer({ order: 1 }, 'order'), 'order')
  })

  it('returns undefined for absent paths, bad array indices and invalid escapes', () => {
    const doc = { a: [10, 20], n: null }
    for (const pointer of ['/b', '/a/2', '/a/-', '/a/01', '/a/x', '/n/x', '/a~2', '/a~']) {
      assert.equal(resolvePointer(doc, pointer), undefined, pointer)
    }
    assert.equal(resolvePointer(doc, '/a/1'), 20)
  })

  it('never walks into prototypes', () => {
    assert.equal(resolvePointer({}, '/__proto__'), undefined)
    assert.equal(resolvePointer({}, '/constructor'), undefined)
    assert.equal(resolvePointer([], '/length'), undefined)
  })

  it('validates pointer syntax', () => {
    assert.equal(isValidPointer('/a~0~1'), true)
    assert.equal(isValidPointer('/a~2'), false)
    assert.equal(isValidPointer('a'), false)
  })
})
