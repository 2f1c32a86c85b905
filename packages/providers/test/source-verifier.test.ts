import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseSourceConfig, verifierForSource } from '../src/index.js'

const github = parseSourceConfig({ name: 'gh', kind: 'github', secrets: ['x'] }, {})

describe('verifierForSource', () => {
  it('reuses the verifier of a source until the source is replaced', () => {
    const first = verifierForSource(github)
    assert.equal(verifierForSource(github), first)
    // The ingest registry replaces a changed source with a new object, never mutates it.
    assert.notEqual(verifierForSource({ ...github }), first)
  })
})
