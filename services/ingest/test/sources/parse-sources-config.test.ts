import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SourcesConfigError, parseSourceConfig } from '@integration-ledger/providers'
import { parseSourcesConfig } from '../../src/sources/index.js'

const STANDARD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

function issuesOf(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof SourcesConfigError, String(err))
    assert.equal(err.code, 'CONFIG_INVALID')
    assert.equal(err.retryable, false)
    return err.issues.map((issue) => `${issue.path}: ${issue.message}`)
  }
  assert.fail('expected a SourcesConfigError')
}

describe('parseSourcesConfig', () => {
  it('applies defaults and resolves env: secrets', () => {
    const file = parseSourcesConfig(
      {
        sources: [
          { name: 'billing', kind: 'stripe', secrets: ['env:STRIPE_WEBHOOK_SECRET', 'whsec_inline'] },
        ],
      },
      { STRIPE_WEBHOOK_SECRET: 'whsec_from_env\n' },
    )
    assert.deepEqual(file.sources, [
      {
        name: 'billing',
        kind: 'stripe',
        secrets: ['whsec_from_env', 'whsec_inline'],
        topic: 'ledger.events',
        enabled: true,
        maxBodyBytes: 1048576,
        toleranceSeconds: 300,
      },
    ])
  })

  it('parses a source of every kind', () => {
    const file = parseSourcesConfig(
      {
        sources: [
          {
            name: 'billing',
            kind: 'stripe',
            secrets: ['a'],
            toleranceSeconds: 60,
            rateLimit: { max: 100, windowMs: 1000 },
          },
          { name: 'gh', kind: 'github', secrets: ['b'], topic: 'ledger.github', enabled: false },
          { name: 'shop', kind: 'shopify', secrets: ['c'], entity: { type: 'order' }, maxBodyBytes: 2048 },
          {
            name: 'std',
            kind: 'standard',
            secrets: [STANDARD_SECRET],
            entity: { type: '/data/kind', id: '/data/id', version: '/data/version' },
          },
          {
            name: 'acme',
            kind: 'hmac',
            secrets: ['d'],
            hmac: {
              header: 'X-Acme-Signature',
              algorithm: 'sha512',
              encoding: 'base64',
              timestampHeader: 'X-Acme-Timestamp',
            },
            eventId: 'header:X-Event-Id',
            eventType: '/event',
            entity: { type: 'invoice', id: '/invoice/id' },
          },
        ],
      },
      {},
    )
    assert.deepEqual(
      file.sources.map((source) => source.kind),
      ['stripe', 'github', 'shopify', 'standard', 'hmac'],
    )
    const [stripe, github, , , hmac] = file.sources
    assert.equal(stripe?.kind === 'stripe' && stripe.toleranceSeconds, 60)
    assert.deepEqual(stripe?.rateLimit, { max: 100, windowMs: 1000 })
    assert.equal(github?.enabled, false)
    assert.equal(hmac?.kind === 'hmac' && hmac.toleranceSeconds, 300)
  })

  it('names the exact path of every problem', () => {
    const issues = issuesOf(() =>
      parseSourcesConfig(
        {
          sources: [
            { name: 'ok', kind: 'stripe', secrets: ['a'] },
            { name: 'Bad Name', kind: 'paypal', secrets: [] },
            { name: 'std', kind: 'standard', secrets: [STANDARD_SECRET], entity: { type: '/type' } },
            { name: 'std2', kind: 'standard', secrets: [STANDARD_SECRET] },
            {
              name: 'gh',
              kind: 'github',
              secrets: ['x'],
              toleranceSeconds: 30,
              eventId: '/id',
              secret: 'typo',
            },
          ],
        },
        {},
      ),
    )
    assert.deepEqual(issues, [
      'sources[1].name: must be 1-63 lower-case letters, digits, "-" or "_" (it is used in the URL)',
      'sources[1].kind: Invalid option: expected one of "stripe"|"github"|"shopify"|"standard"|"hmac"',
      'sources[1].secrets: at least one secret is required',
      'sources[2].entity.id: required for kind "standard"',
      'sources[3].entity: required for kind "standard"',
      'sources[4]: Unrecognized key: "secret"',
      'sources[4].eventId: only valid for kind "hmac"',
      'sources[4].toleranceSeconds: kind "github" signs no timestamp; remove this field',
    ])
  })

  it('reports kind-specific field rules', () => {
    const issues = issuesOf(() =>
      parseSourcesConfig(
        {
          sources: [
            { name: 'gh', kind: 'github', secrets: ['x'], toleranceSeconds: 30, eventId: '/id' },
            {
              name: 'acme',
              kind: 'hmac',
              secrets: ['x'],
              toleranceSeconds: 30,
              entity: { type: 't', id: '/id', version: '5' },
            },
            { name: 'gh', kind: 'shopify', secrets: ['x'], entity: { id: '/a~2' } },
          ],
        },
        {},
      ),
    )
    assert.deepEqual(issues, [
      'sources[0].eventId: only valid for kind "hmac"',
      'sources[0].toleranceSeconds: kind "github" signs no timestamp; remove this field',
      'sources[1].entity.version: must be a JSON pointer ("/path") or "header:<name>"; a literal would be the same for every event',
      'sources[1].hmac: required for kind "hmac"',
      'sources[1].eventId: required for kind "hmac"',
      'sources[1].eventType: required for kind "hmac"',
      'sources[1].toleranceSeconds: needs hmac.timestampHeader; without a signed timestamp there is nothing to check',
      'sources[2].entity.id: invalid JSON pointer: "~" must be followed by 0 or 1',
      'sources[2].name: duplicate of sources[0].name "gh"',
    ])
  })

  it('refuses duplicate names', () => {
    const issues = issuesOf(() =>
      parseSourcesConfig(
        {
          sources: [
            { name: 'a', kind: 'github', secrets: ['x'] },
            { name: 'a', kind: 'github', secrets: ['y'] },
          ],
        },
        {},
      ),
    )
    assert.deepEqual(issues, ['sources[1].name: duplicate of sources[0].name "a"'])
  })

  it('names the source and variable of a missing env secret, without printing secrets', () => {
    const issues = issuesOf(() =>
      parseSourcesConfig(
        {
          sources: [
            { name: 'billing', kind: 'stripe', secrets: ['whsec_inline_value', 'env:STRIPE_WEBHOOK_SECRET'] },
            { name: 'std', kind: 'standard', secrets: ['env:STD_SECRET'], entity: { type: 't', id: '/id' } },
            { name: 'bad', kind: 'github', secrets: ['env:1BAD'] },
          ],
        },
        { STRIPE_WEBHOOK_SECRET: '  ', STD_SECRET: 'not-base64!' },
      ),
    )
    assert.deepEqual(issues, [
      'sources[2].secrets[0]: expected "env:<VARIABLE_NAME>" (letters, digits, underscore)',
    ])
    const envIssues = issuesOf(() =>
      parseSourcesConfig(
        {
          sources: [
            { name: 'billing', kind: 'stripe', secrets: ['whsec_inline_value', 'env:STRIPE_WEBHOOK_SECRET'] },
            { name: 'std', kind: 'standard', secrets: ['env:STD_SECRET'], entity: { type: 't', id: '/id' } },
          ],
        },
        { STRIPE_WEBHOOK_SECRET: '  ', STD_SECRET: 'not-base64!' },
      ),
    )
    assert.deepEqual(envIssues, [
      'sources[0].secrets[1]: environment variable STRIPE_WEBHOOK_SECRET is not set or empty (source "billing"); set it or change the reference',
      'sources[1].secrets[0]: not a Standard Webhooks secret (source "std"); expected "whsec_<base64>"',
    ])
    assert.ok(!envIssues.join('\n').includes('not-base64!'))
    assert.ok(!envIssues.join('\n').includes('whsec_inline_value'))
  })

  it('puts the origin and every issue in the error message', () => {
    assert.throws(
      () =>
        parseSourcesConfig(
          { sources: [{ name: 'x', kind: 'standard', secrets: ['whsec_'] }] },
          {},
          'config/sources.yaml',
        ),
      (err: Error) => {
        assert.match(
          err.message,
          /^Invalid sources config \(config\/sources\.yaml\):\n {2}sources\[0\]\.entity: required for kind "standard"/,
        )
        return true
      },
    )
    assert.deepEqual(
      issuesOf(() => parseSourcesConfig(null, {})),
      ['(root): Invalid input: expected object, received null'],
    )
  })

  it('parses a single source with paths relative to it', () => {
    const source = parseSourceConfig({ name: 'gh', kind: 'github', secrets: ['env:GH'] }, { GH: 'shh' })
    assert.deepEqual(source.secrets, ['shh'])
    assert.deepEqual(
      issuesOf(() => parseSourceConfig({ name: 'gh', kind: 'github', secrets: ['env:GH'] }, {})),
      [
        'secrets[0]: environment variable GH is not set or empty (source "gh"); set it or change the reference',
      ],
    )
  })
})
