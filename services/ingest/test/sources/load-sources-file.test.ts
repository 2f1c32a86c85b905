import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { SourcesConfigError } from '@integration-ledger/providers'
import { loadSourcesFile } from '../../src/sources/index.js'

async function withFile(t: { after(fn: () => Promise<void>): void }, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sources-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'sources.yaml')
  await writeFile(path, text)
  return path
}

describe('loadSourcesFile', () => {
  it('loads the documented example', async (t) => {
    const path = await withFile(
      t,
      `sources:
  - name: billing            # used in the URL: POST /webhooks/billing
    kind: stripe
    secrets: [env:STRIPE_WEBHOOK_SECRET]
    entity:
      type: /data/object/object
      id: /data/object/id
      version: /created
`,
    )
    const file = await loadSourcesFile(path, { STRIPE_WEBHOOK_SECRET: 'whsec_x' })
    assert.equal(file.sources[0]?.name, 'billing')
    assert.deepEqual(file.sources[0]?.secrets, ['whsec_x'])
  })

  it('reports YAML syntax errors and duplicate keys with the file name', async (t) => {
    const path = await withFile(t, 'sources:\n  - name: a\n    name: b\n')
    await assert.rejects(loadSourcesFile(path, {}), (err: Error) => {
      assert.ok(err instanceof SourcesConfigError)
      assert.ok(err.message.includes(path))
      assert.equal(err.issues[0]?.path, '(yaml)')
      return true
    })
  })

  it('reports validation errors with the file name', async (t) => {
    const path = await withFile(
      t,
      'sources:\n  - name: std\n    kind: standard\n    secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]\n',
    )
    await assert.rejects(loadSourcesFile(path, {}), (err: Error) => {
      assert.ok(err instanceof SourcesConfigError)
      assert.match(err.message, /sources\.yaml\):\n {2}sources\[0\]\.entity: required for kind "standard"/)
      return true
    })
  })

  it('reports a missing file as a config error', async () => {
    await assert.rejects(loadSourcesFile('/nonexistent/sources.yaml', {}), {
      code: 'CONFIG_INVALID',
      name: 'SourcesConfigError',
    })
  })
})
