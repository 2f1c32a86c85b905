import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { installErrorHandler } from '@integration-ledger/service-kit'
import { cleanupScope, createTestPool, stackEnv } from '@integration-ledger/testing'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { AdminTokenStore, AuditLog, adminIdentity, migrateAccess, protectOperatorApi } from '../src/index.js'

describe('protectOperatorApi', () => {
  it('accepts environment tokens with their role, and refuses to start with an unaudited write route', async (test) => {
    const t = cleanupScope(test)
    const { pool } = await createTestPool(t, stackEnv().databaseUrl)
    await migrateAccess(pool)
    const options = {
      tokens: new AdminTokenStore(pool),
      audit: new AuditLog(pool, 'test'),
      envTokens: [
        { name: 'ops', token: 'ops-token-0123456789' },
        { name: 'watch', token: 'watch-token-0123456789', role: 'read-only' as const },
      ],
      envVariable: 'TEST_TOKENS',
      registry: new Registry(),
    }
    const app = Fastify()
    installErrorHandler(app)
    t.after(() => app.close())
    await app.register(async (api) => {
      protectOperatorApi(api, options)
      api.get('/who', async (request) => adminIdentity(request))
    })
    const who = (token: string) => app.inject({ url: '/who', headers: { authorization: `Bearer ${token}` } })
    assert.deepEqual((await who('ops-token-0123456789')).json(), {
      name: 'ops',
      role: 'operator',
      tokenId: null,
    })
    assert.deepEqual((await who('watch-token-0123456789')).json(), {
      name: 'watch',
      role: 'read-only',
      tokenId: null,
    })
    const denied = await who('ops-token-012345678')
    assert.equal(denied.statusCode, 401)
    assert.match(denied.body, /TEST_TOKENS/)

    const unaudited = Fastify()
    t.after(() => unaudited.close())
    await assert.rejects(async () => {
      await unaudited.register(async (api) => {
        protectOperatorApi(api, { ...options, registry: new Registry() })
        api.post('/change', async () => ({}))
      })
    }, /POST \/change changes state but declares no config.audit/)
  })
})
