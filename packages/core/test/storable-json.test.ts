import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_JSON_DEPTH, parseStorableJson } from '@integration-ledger/core'

const problem = (body: string | Buffer) => {
  const result = parseStorableJson(body)
  return result.ok ? 'ok' : result.problem
}

describe('parseStorableJson', () => {
  it('tolerates a byte order mark, leaving it out of the text for PostgreSQL', () => {
    const result = parseStorableJson(Buffer.from('\uFEFF{"a":1}'))
    assert.deepEqual(result, { ok: true, text: '{"a":1}', value: { a: 1 } })
  })

  it('names each problem, with where it is', () => {
    assert.equal(problem('{'), 'not_json')
    assert.equal(problem('{"a":"\\u0000"}'), 'nul_character')
    assert.equal(problem('{"a":"\\\\u0000"}'), 'ok')
    assert.equal(problem('["\\uD800"]'), 'lone_surrogate')
    assert.equal(problem('["\\uDBFF\\uDFFF"]'), 'ok')
    assert.equal(problem('[1e131072]'), 'number_out_of_range')
    assert.equal(problem(`[1${'0'.repeat(131_072)}]`), 'number_out_of_range')
    assert.equal(problem(`[1${'0'.repeat(131_071)}]`), 'ok')
    const nul = parseStorableJson('{"ab":"\\u0000"}')
    assert.match(nul.ok ? '' : nul.message, /at character 7/)
  })

  it('bounds nesting at MAX_JSON_DEPTH, brackets inside strings not counted', () => {
    const nest = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
    assert.equal(problem(nest(MAX_JSON_DEPTH)), 'ok')
    assert.equal(problem(nest(MAX_JSON_DEPTH + 1)), 'too_deep')
    assert.equal(problem(`["${'['.repeat(1000)}"]`), 'ok')
    assert.equal(problem(`{"a":${nest(1_000_000)}}`), 'too_deep')
  })
})
