import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import { stackEnv } from '@integration-ledger/testing'

describe('admin API authentication', () => {
  it('serves health openly and refuses API calls without the bearer token', async (t) => {
    const stack = stackEnv()
    const app = await startAdmin(
      loadAdminConfig({
        DATABASE_URL: stack.databaseUrl,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        LEDGER_ADMIN_TOKEN: 'test-token-0123456789',
        LOG_LEVEL: 'silent',
      }),
    )
    t.after(() => app.close())
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200)
    const denied = await app.inject({ url: '/whoami', headers: { authorization: 'Bearer wrong' } })
    assert.equal(denied.statusCode, 401)
    assert.equal(denied.json<{ error: string }>().error, 'UNAUTHORIZED')
    assert.equal((await app.inject({ url: '/whoami' })).statusCode, 401)
    const allowed = await app.inject({
      url: '/whoami',
      headers: { authorization: 'Bearer test-token-0123456789' },
    })
    assert.equal(allowed.statusCode, 200)
    // Without LEDGER_MASTER_KEYS the sources API is off: 503 through the one error mapper.
    const off = await app.inject({
      url: '/sources',
      headers: { authorization: 'Bearer test-token-0123456789' },
    })
    assert.equal(off.statusCode, 503)
    const body = off.json<{ error: string; message: string; correlationId: string }>()
    assert.equal(body.error, 'CONFIG_INVALID')
    assert.ok(body.correlationId && body.message.includes(body.correlationId), off.body)
  })

  it('fails fast naming the variable when the token is missing', () => {
    assert.throws(() => loadAdminConfig({}), /LEDGER_ADMIN_TOKEN/)
  })
})
