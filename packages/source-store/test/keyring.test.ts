import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { Keyring } from '@integration-ledger/source-store'

const key = () => randomBytes(32).toString('base64')

describe('Keyring', () => {
  it('seals with the first key and opens what it sealed; the ciphertext does not contain the secret', () => {
    const keyring = Keyring.parse(`k2:${key()},k1:${key()}`)
    const sealed = keyring.seal('whsec_very_secret', 'billing')
    assert.equal(sealed.keyId, 'k2')
    assert.equal(sealed.nonce.length, 12)
    assert.equal(sealed.ciphertext.includes(Buffer.from('whsec_very_secret')), false)
    assert.equal(keyring.open(sealed, 'billing'), 'whsec_very_secret')
    assert.notDeepEqual(
      keyring.seal('whsec_very_secret', 'billing').nonce,
      sealed.nonce,
      'a fresh nonce each time',
    )
  })

  it('refuses a ciphertext moved to another source, or altered by one bit', () => {
    const keyring = Keyring.parse(`k1:${key()}`)
    const sealed = keyring.seal('whsec_very_secret', 'billing')
    const refused = (err: unknown) => err instanceof LedgerError && err.code === 'CONFIG_INVALID'
    assert.throws(() => keyring.open(sealed, 'shop'), refused)
    const flipped = Buffer.from(sealed.ciphertext)
    flipped[0] = (flipped[0] ?? 0) ^ 1
    assert.throws(() => keyring.open({ ...sealed, ciphertext: flipped }, 'billing'), refused)
  })

  it('opens secrets sealed under an older key after rotation, and seals new ones under the new key', () => {
    const old = key()
    const before = Keyring.parse(`k1:${old}`)
    const sealed = before.seal('whsec_a', 'billing')
    const after = Keyring.parse(`k2:${key()},k1:${old}`)
    assert.equal(after.open(sealed, 'billing'), 'whsec_a')
    assert.equal(after.seal('whsec_a', 'billing').keyId, 'k2')
    assert.throws(
      () => Keyring.parse(`k2:${key()}`).open(sealed, 'billing'),
      (err: unknown) => err instanceof LedgerError && err.code === 'CONFIG_INVALID',
      'a key that was dropped too early is reported, not guessed',
    )
  })

  it('rejects malformed specs naming the variable and the entry, never echoing a key', () => {
    const short = Buffer.from('too short').toString('base64')
    for (const [spec, pattern] of [
      ['', /holds no key/],
      [`k1:${short}`, /entry 1 is not/],
      [`k1:${key()},k1:${key()}`, /entry 2 is not/],
      [`bad id:${key()}`, /entry 1 is not/],
      [key(), /entry 1 is not/],
    ] as const) {
      assert.throws(
        () => Keyring.parse(spec, 'LEDGER_MASTER_KEYS'),
        (err: unknown) =>
          err instanceof LedgerError &&
          err.code === 'CONFIG_INVALID' &&
          err.message.startsWith('LEDGER_MASTER_KEYS') &&
          pattern.test(err.message) &&
          !err.message.includes(short),
      )
    }
  })
})
