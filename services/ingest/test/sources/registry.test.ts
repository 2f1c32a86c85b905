import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseSourceConfig } from '@integration-ledger/providers'
import { SourceRegistry } from '../../src/sources/index.js'

const github = parseSourceConfig({ name: 'gh', kind: 'github', secrets: ['x'] }, {})
const stripe = parseSourceConfig({ name: 'billing', kind: 'stripe', secrets: ['y'] }, {})

describe('SourceRegistry', () => {
  it('gets, lists by name, upserts and disables', () => {
    const registry = new SourceRegistry([github])
    registry.upsert(stripe)
    assert.deepEqual(
      registry.list().map((source) => source.name),
      ['billing', 'gh'],
    )
    assert.equal(registry.get('gh'), github)
    assert.equal(registry.get('nope'), undefined)

    registry.upsert({ ...github, topic: 'other' })
    assert.equal(registry.get('gh')?.topic, 'other')

    assert.equal(registry.disable('gh'), true)
    assert.equal(registry.get('gh')?.enabled, false)
    assert.equal(github.enabled, true, 'the previous object is replaced, not mutated')
    assert.equal(registry.disable('nope'), false)
  })
})
