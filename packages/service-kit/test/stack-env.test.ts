import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseEnv, portSchema, stackConfig, stackEnvSchema } from '@integration-ledger/service-kit'

const schema = stackEnvSchema.extend({ PORT: portSchema(8080) })

describe('stackConfig: HTTP timeouts', () => {
  it('bounds every connection by default', () => {
    assert.deepEqual(stackConfig(parseEnv(schema, {})).http, {
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      connectionTimeoutMs: 300_000,
    })
  })

  it('refuses a headers timeout above the request timeout, naming both variables', () => {
    const env = { HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' }
    assert.throws(
      () => stackConfig(parseEnv(schema, env)),
      /HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS \(5000\)/,
    )
    assert.throws(() => parseEnv(schema, { HTTP_REQUEST_TIMEOUT_MS: '0' }), /HTTP_REQUEST_TIMEOUT_MS/)
  })
})
