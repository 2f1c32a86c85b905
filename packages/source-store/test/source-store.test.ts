import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { Keyring, SourceStore, migrateSourceStore } from '@integration-ledger/source-store'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'

const key = () => randomBytes(32).toString('base64')
const isCode = (code: string) => (err: unknown) => err instanceof LedgerError && err.code === code

describe('SourceStore against PostgreSQL', () => {
  it('stores secrets only sealed, rotates them, and re-seals under a new master key', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await migrateSourceStore(pool)
    const oldKey = key()
    const store = new SourceStore(pool, Keyring.parse(`k1:${oldKey}`))

    const created = await store.create({
      name: 'billing',
      kind: 'stripe',
      config: { name: 'billing', kind: 'stripe' },
      secrets: ['whsec_first'],
    })
    assert.equal(created.secrets.length, 1)
    assert.equal(created.secrets[0]?.keyId, 'k1')
    assert.equal(JSON.stringify(created).includes('whsec_first'), false, 'metadata only')
    await assert.rejects(
      store.create({ name: 'billing', kind: 'stripe', config: {}, secrets: ['x'] }),
      isCode('CONFLICT'),
    )
    const { rows } = await pool.query<{ dump: string }>(
      `SELECT string_agg(encode(ciphertext, 'escape'), '') AS dump FROM ledger_source_secrets`,
    )
    assert.equal(rows[0]?.dump.includes('whsec_first'), false, 'no plaintext at rest')

    const second = await store.addSecret('billing', 'whsec_second')
    assert.deepEqual(
      (await store.loadResolved())[0]?.secrets,
      ['whsec_second', 'whsec_first'],
      'newest first',
    )
    const firstId = created.secrets[0]?.id ?? ''
    await store.retireSecret('billing', firstId)
    await assert.rejects(store.retireSecret('billing', second.id), isCode('CONFLICT'), 'never the last one')
    assert.deepEqual((await store.loadResolved())[0]?.secrets, ['whsec_second'])

    await store.setEnabled('billing', false)
    assert.equal((await store.get('billing')).enabled, false)
    await assert.rejects(store.setEnabled('nope', true), isCode('NOT_FOUND'))

    // Master key rotation: new key first, re-seal, then the old key can go.
    const rotated = new SourceStore(pool, Keyring.parse(`k2:${key()},k1:${oldKey}`))
    assert.equal(await rotated.reseal(), 2, 'the retired secret is re-sealed too')
    assert.equal(await rotated.reseal(), 0)
    assert.ok((await rotated.get('billing')).secrets.every((s) => s.keyId === 'k2'))
    assert.deepEqual((await rotated.loadResolved())[0]?.secrets, ['whsec_second'])
  })
})
