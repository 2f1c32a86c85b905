import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { redactUrl } from '@integration-ledger/outbound'

describe('redactUrl', () => {
  it('drops user-info and secret-looking query values, keeps the rest', () => {
    const url = new URL('https://user:pw@api.example.com/v1/x?access_token=abc&limit=10&client_secret=s3')
    const redacted = redactUrl(url)
    assert.equal(
      redacted,
      'https://api.example.com/v1/x?access_token=%5Bredacted%5D&limit=10&client_secret=%5Bredacted%5D',
    )
    assert.equal(url.password, 'pw', 'the original URL is left alone')
  })
})
