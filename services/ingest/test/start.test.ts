import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LedgerError } from '@integration-ledger/core'
import { loadIngestConfig } from '@integration-ledger/ingest'
import { parseSourceConfig } from '@integration-ledger/providers'
import { MAX_RAW_BODY_BYTES } from '@integration-ledger/sdk'
import { cleanupScope } from '@integration-ledger/testing'
import { startHarness } from './helpers/harness.js'

const SECRET = 'github-start-limit-secret-0123'

describe('start-up refuses body limits that can never be stored', () => {
  it('refuses a source whose maxBodyBytes cannot fit a Kafka record, naming it', async (test) => {
    const t = cleanupScope(test)
    await assert.rejects(
      startHarness(t, {
        sources: [
          '  - name: fits',
          '    kind: github',
          `    secrets: ["${SECRET}"]`,
          `    maxBodyBytes: ${MAX_RAW_BODY_BYTES}`,
          '  - name: huge',
          '    kind: github',
          `    secrets: ["${SECRET}"]`,
          `    maxBodyBytes: ${MAX_RAW_BODY_BYTES + 1}`,
        ],
      }),
      (err: unknown) =>
        err instanceof LedgerError &&
        err.code === 'CONFIG_INVALID' &&
        err.message.includes('source "huge"') &&
        err.message.includes(String(MAX_RAW_BODY_BYTES)) &&
        !err.message.includes('source "fits"'),
    )
  })

  it('refuses the same for one source, as the admin API validates it', () => {
    assert.throws(
      () =>
        parseSourceConfig(
          { name: 'big', kind: 'github', secrets: [SECRET], maxBodyBytes: 64 * 1024 * 1024 },
          {},
        ),
      (err: unknown) =>
        err instanceof LedgerError &&
        /source "big": maxBodyBytes 67108864 can never be stored/.test(err.message),
    )
  })

  it('refuses an INGEST_MAX_BODY_BYTES that cannot fit', () => {
    assert.throws(
      () => loadIngestConfig({ INGEST_MAX_BODY_BYTES: String(MAX_RAW_BODY_BYTES + 1) }),
      /INGEST_MAX_BODY_BYTES/,
    )
  })
})
