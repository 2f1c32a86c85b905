import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { parseEnv } from '@integration-ledger/service-kit'
import { z } from 'zod'

const schema = z.object({
  PORT: z.coerce.number().int().positive(),
  DATABASE_URL: z.string().startsWith('postgres://'),
  LEDGER_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  LEDGER_MASTER_KEYS: z.string().regex(/^\w+:/, 'expected id:base64'),
})

function failure(env: NodeJS.ProcessEnv): string {
  try {
    parseEnv(schema, env)
  } catch (err) {
    assert.ok(err instanceof LedgerError && err.code === 'CONFIG_INVALID')
    return err.message
  }
  assert.fail('expected a configuration error')
}

describe('parseEnv', () => {
  it('names every bad variable, says what was expected and what it got', () => {
    const message = failure({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://db',
      LEDGER_ADMIN_TOKEN: 'a-long-enough-admin-token',
      LEDGER_MASTER_KEYS: 'k1:AAAA',
    })
    assert.match(message, /^ {2}PORT: .* \(got "eighty"\)$/m)
    assert.match(message, /^ {2}DATABASE_URL: .* \(got "mysql:\/\/db"\)$/m)
    assert.doesNotMatch(message, /LEDGER_ADMIN_TOKEN/)
  })

  it('never prints a credential or a password inside a URL', () => {
    const message = failure({
      PORT: '8080',
      DATABASE_URL: 'mysql://ledger:hunter2-pass@db:5432/ledger',
      LEDGER_ADMIN_TOKEN: 'short-token',
      LEDGER_MASTER_KEYS: 'not-a-key-spec',
    })
    assert.match(
      message,
      /LEDGER_ADMIN_TOKEN: must be at least 16 characters \(a value of 11 characters, not shown\)/,
    )
    assert.match(message, /LEDGER_MASTER_KEYS: expected id:base64 \(a value of 14 characters, not shown\)/)
    assert.match(message, /DATABASE_URL: .*mysql:\/\/ledger:\*\*\*@db/)
    for (const secret of ['short-token', 'not-a-key-spec', 'hunter2'])
      assert.doesNotMatch(message, new RegExp(secret))
  })

  it('returns the parsed values when everything is valid', () => {
    const config = parseEnv(schema, {
      PORT: '8080',
      DATABASE_URL: 'postgres://x',
      LEDGER_ADMIN_TOKEN: 'a-long-enough-admin-token',
      LEDGER_MASTER_KEYS: 'k1:AAAA',
    })
    assert.equal(config.PORT, 8080)
  })
})
