import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_JSON_DEPTH } from '@integration-ledger/core'
import { buildEvent } from '@integration-ledger/sdk'
import { cleanupScope } from '@integration-ledger/testing'
import { LedgerStore } from '../src/db/ledger-store.js'
import { toLedgerRecord } from '../src/record.js'
import { migratedPool } from './support.js'

const nest = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`

/** Bodies at the edges of what PostgreSQL jsonb holds; `[label, raw body]`. */
const CORPUS: [string, Buffer][] = [
  ['byte order mark', Buffer.from('\uFEFF{"a":1}')],
  ['escaped backslash before u0000 (text, not a NUL)', Buffer.from('{"a":"\\\\u0000"}')],
  ['escaped NUL', Buffer.from('{"a":"\\u0000"}')],
  ['escaped NUL in a key', Buffer.from('{"\\u0000":1}')],
  ['surrogate pair', Buffer.from('{"a":"\\ud83d\\ude00"}')],
  ['highest pair', Buffer.from('{"a":"\\uDBFF\\uDFFF"}')],
  ['lone high surrogate', Buffer.from('{"a":"\\ud800"}')],
  ['lone low surrogate', Buffer.from('{"a":"\\udc00"}')],
  ['two high surrogates', Buffer.from('{"a":"\\ud800\\ud800"}')],
  ['high surrogate then a letter', Buffer.from('{"a":"\\ud800\\u0041"}')],
  ['every simple escape', Buffer.from('{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t","b":"\\u00e9"}')],
  ['escapes before a NUL', Buffer.from('{"a":"\\"","b":"\\\\","c":"x\\u0000"}')],
  ['a lone surrogate after a pair', Buffer.from('{"a":"\\ud83d\\ude00\\ud800"}')],
  ['noncharacter U+FFFF', Buffer.from('{"a":"\\uFFFF"}')],
  ['line separator', Buffer.from('{"a":"\\u2028\u2028"}')],
  ['raw emoji', Buffer.from('{"a":"😀"}')],
  ['invalid UTF-8 bytes', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])],
  ['negative zero and exponents', Buffer.from('[-0, 1E+2, 1e-2, 2.5E3]')],
  ['integer above 2^64', Buffer.from('[123456789012345678901234567890]')],
  ['largest numeric weight', Buffer.from('[1e131071, 99999e131067, 0.1e131072]')],
  ['numeric weight overflow', Buffer.from('[1e131072]')],
  ['numeric weight overflow by digits', Buffer.from('[99999e131068]')],
  ['largest numeric scale', Buffer.from('[1e-16383, 123.45e-16381]')],
  ['numeric scale overflow', Buffer.from('[123.45e-16382]')],
  ['numeric scale overflow by digits', Buffer.from(`[1.${'0'.repeat(16_384)}]`)],
  ['zero with a huge exponent', Buffer.from('[0e99999999]')],
  ['zero with a huge negative exponent', Buffer.from('[0e-99999999]')],
  ['exponent beyond int range', Buffer.from('[0e2000000000]')],
  ['nesting at the limit', Buffer.from(nest(MAX_JSON_DEPTH))],
  ['whitespace everywhere', Buffer.from(' \t\r\n{ "a" : [ 1 , true , null ] }\n')],
]

describe('toLedgerRecord: the storable-JSON rule agrees with PostgreSQL jsonb', () => {
  it('stores every body it accepts, and PostgreSQL refuses every body it refuses below the depth cap', async (test) => {
    const t = cleanupScope(test)
    const pool = await migratedPool(t)
    const store = new LedgerStore(pool)
    const refused: string[] = []
    for (const [index, [label, rawBody]] of CORPUS.entries()) {
      const event = buildEvent({
        source: 'storable',
        providerEventId: `p${index}`,
        type: 'thing.updated',
        entityType: 'thing',
        entityId: `t${index}`,
        entityVersion: 1,
        rawBody,
      })
      const checked = toLedgerRecord(event, { topic: 't', partition: 0, offset: String(index) })
      // What PostgreSQL itself says of the body's text (a BOM is not part of the JSON).
      const text = rawBody.toString('utf8').replace(/^\uFEFF/, '')
      const server = await pool.query('SELECT $1::jsonb', [text]).then(
        () => 'stores',
        (err: { code?: string }) => `refuses (${err.code})`,
      )
      if (checked.ok) {
        assert.equal(server, 'stores', `${label}: accepted, so PostgreSQL must store it`)
        const outcome = await store.applyBatch([checked.record])
        assert.equal(outcome.counts.applied, 1, label)
        const row = await store.get('thing', `t${index}`)
        assert.ok(row, `${label}: projected`)
      } else {
        refused.push(label)
        assert.match(server, /^refuses/, `${label}: refused (${checked.reason}), but PostgreSQL stores it`)
      }
    }
    assert.deepEqual(refused, [
      'escaped NUL',
      'escaped NUL in a key',
      'lone high surrogate',
      'lone low surrogate',
      'two high surrogates',
      'high surrogate then a letter',
      'escapes before a NUL',
      'a lone surrogate after a pair',
      'numeric weight overflow',
      'numeric weight overflow by digits',
      'numeric scale overflow',
      'numeric scale overflow by digits',
      'zero with a huge negative exponent',
      'exponent beyond int range',
    ])
  })

  it('refuses nesting beyond MAX_JSON_DEPTH with a reason that names the limit', () => {
    const event = buildEvent({
      source: 'storable',
      providerEventId: 'deep',
      type: 'thing.updated',
      entityType: 'thing',
      entityId: 'deep',
      entityVersion: 1,
      rawBody: Buffer.from(nest(MAX_JSON_DEPTH + 1)),
    })
    const checked = toLedgerRecord(event, { topic: 't', partition: 0, offset: '0' })
    assert.equal(checked.ok, false)
    assert.match(checked.ok ? '' : checked.reason, new RegExp(`${MAX_JSON_DEPTH} levels`))
  })

  it('refuses hostile nesting of a whole mebibyte without recursion', () => {
    const depth = 512 * 1024
    const event = buildEvent({
      source: 'storable',
      providerEventId: 'hostile',
      type: 'thing.updated',
      entityType: 'thing',
      entityId: 'hostile',
      entityVersion: 1,
      rawBody: Buffer.from(`{"a":${nest(depth)}}`),
    })
    assert.equal(toLedgerRecord(event, { topic: 't', partition: 0, offset: '0' }).ok, false)
  })
})
