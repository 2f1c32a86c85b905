import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeBase64, decodeHex } from '../../src/verification/encoding.js'

describe('strict decoding', () => {
  it('refuses hex that Buffer.from would silently truncate', () => {
    assert.equal(decodeHex('abzz'), undefined)
    assert.equal(decodeHex('abc'), undefined)
    assert.equal(decodeHex(''), undefined)
    assert.deepEqual(decodeHex('AbCd'), Buffer.from([0xab, 0xcd]))
  })

  it('accepts only padded standard base64', () => {
    assert.deepEqual(decodeBase64('aGk='), Buffer.from('hi'))
    assert.equal(decodeBase64('aGk'), undefined)
    assert.equal(decodeBase64('aG-_'), undefined)
    assert.equal(decodeBase64(''), undefined)
  })
})
