import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sourceConfigSchema } from '../../src/index.js'

function problems(input: unknown): string[] {
  const parsed = sourceConfigSchema.safeParse(input)
  assert.equal(parsed.success, false, 'expected the declaration to be refused')
  return parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? []
}

describe('sourceConfigSchema (the union of the provider modules)', () => {
  it('refuses a field of another kind with the kinds it belongs to', () => {
    assert.deepEqual(problems({ name: 's', kind: 'stripe', secrets: ['x'], occurredAt: '/at' }), [
      'occurredAt: only valid for kind "hmac"',
    ])
  })

  it('checks the shared fields of a source whose kind is unknown', () => {
    assert.deepEqual(problems({ name: 'ok', kind: 'paypal', secrets: ['x'], topic: 'bad topic!' }), [
      'kind: Invalid option: expected one of "stripe"|"github"|"shopify"|"standard"|"hmac"',
      'topic: must be a Kafka topic name (letters, digits, ".", "_", "-")',
    ])
  })

  it('reports the problems of every field of a known kind in one pass', () => {
    assert.deepEqual(
      problems({
        name: 'acme',
        kind: 'hmac',
        secrets: ['x'],
        topic: 'bad topic!',
        toleranceSeconds: 30,
        hmac: { header: 'X-Sig', algorithm: 'md5', encoding: 'hex' },
        eventId: '/id',
        eventType: 't',
        entity: { type: 't', id: '/id' },
      }),
      [
        'topic: must be a Kafka topic name (letters, digits, ".", "_", "-")',
        'hmac.algorithm: Invalid option: expected one of "sha256"|"sha512"',
        'toleranceSeconds: needs hmac.timestampHeader; without a signed timestamp there is nothing to check',
      ],
    )
  })

  it('applies the defaults of each kind', () => {
    const parsed = sourceConfigSchema.parse({
      name: 'acme',
      kind: 'hmac',
      secrets: ['x'],
      hmac: { header: 'X-Sig', algorithm: 'sha256', encoding: 'hex' },
      eventId: '/id',
      eventType: 't',
      entity: { type: 't', id: '/id' },
    })
    // Without a signed timestamp there is no tolerance to default.
    assert.equal(parsed.kind === 'hmac' && parsed.toleranceSeconds, undefined)
    assert.equal(parsed.topic, 'ledger.events')
  })
})
