import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { CredentialStore, Keyring, SourceStore, migrateSourceStore } from '@integration-ledger/source-store'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import type pg from 'pg'

const key = () => randomBytes(32).toString('base64')
const isCode = (code: string, secret?: string) => (err: unknown) =>
  err instanceof LedgerError &&
  err.code === code &&
  (secret === undefined || !JSON.stringify({ m: err.message, d: err.details }).includes(secret))

const STRIPE_KEY = 'sk_test_credential_store_0000000001'
const ROTATED_KEY = 'sk_test_credential_store_0000000002'

async function dumpAtRest(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ dump: string }>(
    `SELECT coalesce(string_agg(encode(ciphertext, 'escape') || id || provider, ''), '') AS dump FROM ledger_provider_credentials`,
  )
  return rows[0]?.dump ?? ''
}

describe('CredentialStore against PostgreSQL', () => {
  it('seals provider secrets at rest, rotates them in place, retires them, and re-seals under a new master key', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await migrateSourceStore(pool)
    const oldKey = key()
    const store = new CredentialStore(pool, Keyring.parse(`k1:${oldKey}`))

    const added = await store.add({ id: 'stripe-main', provider: 'stripe', secret: STRIPE_KEY })
    assert.equal(added.keyId, 'k1')
    assert.equal(added.rotatedAt, null)
    assert.equal(JSON.stringify(await store.list()).includes(STRIPE_KEY), false, 'metadata only')
    assert.equal((await dumpAtRest(pool)).includes(STRIPE_KEY), false, 'no plaintext at rest')
    await assert.rejects(
      store.add({ id: 'stripe-main', provider: 'stripe', secret: 'x' }),
      isCode('CONFLICT'),
    )
    await assert.rejects(
      store.add({ id: 'bad id', provider: 'stripe', secret: 'x' }),
      isCode('VALIDATION_FAILED'),
    )

    const credentials = store.credentialsFor('stripe')
    assert.equal(await credentials('stripe-main'), STRIPE_KEY)
    await assert.rejects(store.credentialsFor('github')('stripe-main'), isCode('CONFIG_INVALID', STRIPE_KEY))

    const rotated = await store.rotate('stripe-main', ROTATED_KEY)
    assert.ok(rotated.rotatedAt instanceof Date)
    assert.equal(await credentials('stripe-main'), ROTATED_KEY, 'the next call gets the new secret')
    assert.equal((await dumpAtRest(pool)).includes(ROTATED_KEY), false)

    await store.add({ id: 'gh-bot', provider: 'github', secret: 'ghp_old_bot_token' })
    await store.retire('gh-bot')
    await assert.rejects(store.credentialsFor('github')('gh-bot'), isCode('NOT_FOUND'))
    await assert.rejects(store.rotate('gh-bot', 'ghp_new'), isCode('NOT_FOUND'))
    await assert.rejects(store.retire('gh-bot'), isCode('NOT_FOUND'))
    assert.ok((await store.get('gh-bot')).retiredAt instanceof Date, 'the retired ID stays taken')
    await assert.rejects(store.add({ id: 'gh-bot', provider: 'github', secret: 'y' }), isCode('CONFLICT'))

    const moved = new CredentialStore(pool, Keyring.parse(`k2:${key()},k1:${oldKey}`))
    assert.equal(await moved.reseal(), 1, 'only the active secret (the retired one is erased)')
    assert.equal(await moved.reseal(), 0)
    assert.equal((await moved.get('stripe-main')).keyId, 'k2')
    assert.equal(await moved.secret('stripe-main'), ROTATED_KEY)
  })

  it('refuses a sealed secret moved to another credential or taken from a source, without revealing it', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await migrateSourceStore(pool)
    const keyring = Keyring.parse(`k1:${key()}`)
    const store = new CredentialStore(pool, keyring)
    await store.add({ id: 'stripe-main', provider: 'stripe', secret: STRIPE_KEY })
    await store.add({ id: 'stripe-other', provider: 'stripe', secret: 'sk_test_other' })
    await pool.query(
      `UPDATE ledger_provider_credentials o SET key_id = m.key_id, nonce = m.nonce, ciphertext = m.ciphertext
       FROM ledger_provider_credentials m WHERE m.id = 'stripe-main' AND o.id = 'stripe-other'`,
    )
    await assert.rejects(store.secret('stripe-other'), isCode('CONFIG_INVALID', STRIPE_KEY))

    const sources = new SourceStore(pool, keyring)
    await sources.create({ name: 'billing', kind: 'stripe', config: {}, secrets: ['whsec_source'] })
    await pool.query(
      `UPDATE ledger_provider_credentials c SET key_id = s.key_id, nonce = s.nonce, ciphertext = s.ciphertext
       FROM ledger_source_secrets s WHERE c.id = 'stripe-main'`,
    )
    await assert.rejects(store.secret('stripe-main'), isCode('CONFIG_INVALID', 'whsec_source'))

    const wrongMaster = new CredentialStore(pool, Keyring.parse(`k1:${key()}`))
    await assert.rejects(wrongMaster.secret('stripe-other'), isCode('CONFIG_INVALID', STRIPE_KEY))
  })
})
