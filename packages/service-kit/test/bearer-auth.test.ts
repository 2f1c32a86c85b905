import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { bearerTokenName, installErrorHandler, requireBearerToken } from '../src/index.js'

describe('requireBearerToken', () => {
  it('accepts any of the named tokens and tells the route which one', async (t) => {
    const app = Fastify()
    installErrorHandler(app)
    app.get('/open', async () => ({ ok: true }))
    await app.register(async (api) => {
      requireBearerToken(
        api,
        [
          { name: 'ada', token: 'ada-token-0123456789' },
          { name: 'ops', token: 'ops-token-0123456789' },
        ],
        'TEST_TOKENS',
      )
      api.get('/who', async (request) => ({ name: bearerTokenName(request) }))
    })
    t.after(() => app.close())
    assert.equal((await app.inject({ url: '/open' })).statusCode, 200)
    const denied = await app.inject({ url: '/who', headers: { authorization: 'Bearer ada-token-012345678' } })
    assert.equal(denied.statusCode, 401)
    assert.match(denied.json<{ message: string }>().message, /TEST_TOKENS/)
    assert.equal((await app.inject({ url: '/who' })).statusCode, 401)
    for (const name of ['ada', 'ops']) {
      const res = await app.inject({
        url: '/who',
        headers: { authorization: `Bearer ${name}-token-0123456789` },
      })
      assert.deepEqual(res.json(), { name })
    }
  })
})
