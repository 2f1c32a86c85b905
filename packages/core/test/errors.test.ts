import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  LedgerError,
  PermanentError,
  TransientError,
  describeError,
  isRetryable,
} from '@integration-ledger/core'

describe('isRetryable', () => {
  it('reads the outermost ledger error in the cause chain', () => {
    const inner = new TransientError('DATABASE_UNAVAILABLE', 'db down')
    const outer = new PermanentError('VALIDATION_FAILED', 'bad row', { cause: inner })
    assert.equal(isRetryable(outer), false)
    assert.equal(isRetryable(new Error('wrapped', { cause: inner })), true)
  })

  it('treats unclassified errors as transient so they are retried before the DLQ', () => {
    assert.equal(isRetryable(new Error('boom')), true)
  })

  it('survives cause cycles', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    Object.assign(a, { cause: b })
    assert.equal(isRetryable(a), true)
  })
})

describe('describeError', () => {
  it('names the code and truncates long messages', () => {
    const err = new LedgerError('DECODE_FAILED', 'x'.repeat(1000))
    const described = describeError(err, 50)
    assert.equal(described.errorClass, 'DECODE_FAILED')
    assert.equal(described.message.length, 50)
  })
})
