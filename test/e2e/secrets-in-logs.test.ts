import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { startFakeProviders } from '@integration-ledger/fake-providers'
import {
  cleanupScope,
  createTestPool,
  signGithub,
  signStandard,
  stackEnv,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import { projectorFixture } from './projector-support.js'
import { type ServiceProcess, startService } from './service-processes.js'

// Everything below is secret or payment data: none of it may appear in a log line or an error body.
const WEBHOOK_SECRET = 'whsec_c2VjcmV0LWluLWxvZ3MtdGVzdC1rZXktMDAwMQ=='
const WRONG_SECRET = 'whsec_d3Jvbmctc2VjcmV0LWZvci1iYWQtc2lnbmF0dXJl'
const ADMIN_TOKEN = 'admin-token-SECRETS-0123456789abcdef'
const RECONCILER_TOKEN = 'reconciler-token-SECRETS-0123456789'
const EVENT_TOKEN = 'event-token-SECRETS-0123456789abcdef'
const WRONG_BEARER = 'sk_live_WRONGBEARER0123456789abcdef'
const BASIC_AUTH = `Basic ${Buffer.from('ops:basic-password-SECRETS-42').toString('base64')}`
const API_KEY_HEADER = 'apikey-header-SECRETS-0123456789'
const COOKIE = 'session=cookie-SECRETS-0123456789'
const STRIPE_KEY = 'sk_test_reconcilerkeySECRETS0123456789'
const MASTER_KEY = randomBytes(32).toString('base64')
const NEW_SOURCE_SECRET = 'github-created-SECRETS-0123456789'
const ROTATED_SECRET = 'github-rotated-SECRETS-9876543210'
const SHORT_SECRET_IN_BAD_BODY = 'short-SECRETS-x'
const CARDS = ['4242 4242 4242 4242', '4242424242424242', '4242-4242-4242-4242', '5555555555554444']

const SECRETS = [
  WEBHOOK_SECRET,
  WEBHOOK_SECRET.slice('whsec_'.length),
  WRONG_SECRET.slice('whsec_'.length),
  ADMIN_TOKEN,
  RECONCILER_TOKEN,
  EVENT_TOKEN,
  WRONG_BEARER,
  BASIC_AUTH.slice('Basic '.length),
  'basic-password-SECRETS-42',
  API_KEY_HEADER,
  COOKIE,
  STRIPE_KEY,
  MASTER_KEY,
  NEW_SOURCE_SECRET,
  ROTATED_SECRET,
  SHORT_SECRET_IN_BAD_BODY,
  ...CARDS,
]

/** Headers a careless sender adds to any request: credentials and a card number. */
const NOISY_HEADERS = {
  'x-api-key': API_KEY_HEADER,
  cookie: COOKIE,
  'x-card-number': CARDS[0]!,
}

/** A payload full of card numbers, as a payment provider's webhook could be. */
function cardPayload(id: string, version: number): Record<string, unknown> {
  return {
    type: 'payment.updated',
    data: {
      object: 'payment',
      id,
      version,
      card: { number: CARDS[1], display: CARDS[0] },
      note: `customer typed ${CARDS[2]} in the comment; backup ${CARDS[3]}`,
    },
  }
}

/** The known secrets that `text` contains. */
function leaks(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret))
}

describe('secrets and card numbers stay out of logs and error bodies', () => {
  it('across every service, on success and failure paths', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    const fixture = await projectorFixture(t, 'secrets', { databaseUrl })
    const { topic, groupId } = fixture
    const sourcesFile = await writeSourcesFile([
      '  - name: acme',
      '    kind: standard',
      `    secrets: ["${WEBHOOK_SECRET}"]`,
      `    topic: ${topic}`,
      '    maxBodyBytes: 4096',
      '    entity:',
      '      type: /data/object',
      '      id: /data/id',
      '      version: /data/version',
    ])
    // The fake accepts another key than the reconciler's: every call it makes is refused.
    const fakes = await startFakeProviders({
      seed: 5,
      stripe: {
        secretKeys: ['sk_test_theonlykeythefakeaccepts000000'],
        sizes: { customers: 2, subscriptions: 0, invoices: 0, paymentIntents: 0, charges: 0 },
      },
    })
    t.after(() => fakes.close())
    const masterKeys = `k1:${MASTER_KEY}`
    const bodies: { what: string; status: number; body: string }[] = []
    /** fetch, keeping the answer's body for the scan. */
    const call = async (what: string, url: string, init: RequestInit): Promise<Response> => {
      const response = await fetch(url, init)
      bodies.push({ what, status: response.status, body: await response.clone().text() })
      return response
    }

    const projector = await startService(t, 'projector', fixture.env, { logLevel: 'debug' })
    // A real constraint: PostgreSQL refuses the row, and its error quotes the whole failing row
    // (payload included) in its DETAIL.
    await pool.query(
      `ALTER TABLE ledger_events ADD CONSTRAINT refuse_pay_dlq CHECK (entity_id <> 'pay_dlq') NOT VALID`,
    )
    const ingest = await startService(
      t,
      'ingest',
      {
        ...fixture.env,
        LEDGER_SOURCES: sourcesFile,
        LEDGER_MASTER_KEYS: masterKeys,
        INGEST_EVENT_TOKENS: `orders=${EVENT_TOKEN}`,
        INGEST_MAX_BODY_BYTES: '4096',
        INGEST_SOURCES_POLL_MS: '500',
      },
      { logLevel: 'debug' },
    )
    const admin = await startService(
      t,
      'admin',
      { ...fixture.env, LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LEDGER_MASTER_KEYS: masterKeys },
      { logLevel: 'debug' },
    )
    const reconciler = await startService(
      t,
      'reconciler',
      {
        ...fixture.env,
        RECONCILER_TOKENS: `ops=${RECONCILER_TOKEN}`,
        SECRETS_STRIPE_KEY: STRIPE_KEY,
        RECONCILER_SOURCES: JSON.stringify([
          {
            name: 'billing',
            kind: 'stripe',
            topic,
            baseUrl: fakes.credentials.stripe.baseUrl,
            credentialEnv: 'SECRETS_STRIPE_KEY',
          },
        ]),
      },
      { logLevel: 'debug' },
    )
    const services: ServiceProcess[] = [ingest, projector, admin, reconciler]

    // Ingest: accepted, bad signature, wrong secret, malformed JSON (signed), oversized, unknown source.
    const webhook = (what: string, body: string, secret: string, msgId: string, extra = {}) =>
      call(what, `${ingest.url}/webhooks/acme`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${WRONG_BEARER}`,
          ...NOISY_HEADERS,
          ...signStandard({ secret, msgId, body }),
          ...extra,
        },
        body,
      })
    const good = JSON.stringify(cardPayload('pay_ok', 1))
    assert.equal((await webhook('accepted', good, WEBHOOK_SECRET, 'msg_ok')).status, 202)
    assert.equal((await webhook('wrong secret', good, WRONG_SECRET, 'msg_wrong')).status, 401)
    assert.equal(
      (
        await webhook('tampered signature', good, WEBHOOK_SECRET, 'msg_bad', {
          'webhook-signature': `v1,${Buffer.from(CARDS[1]!).toString('base64')}`,
        })
      ).status,
      401,
    )
    const malformed = `{"card": "${CARDS[0]}", "broken": `
    assert.equal((await webhook('malformed JSON', malformed, WEBHOOK_SECRET, 'msg_malformed')).status, 202)
    const oversized = JSON.stringify({ ...cardPayload('pay_big', 1), pad: CARDS[1]!.repeat(400) })
    assert.equal((await webhook('oversized', oversized, WEBHOOK_SECRET, 'msg_big')).status, 413)
    // A sender that puts its key in the query string.
    const keyInQuery = await call(
      'key in query',
      `${ingest.url}/webhooks/acme?api_key=${API_KEY_HEADER}&card=${CARDS[1]}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signStandard({ secret: WRONG_SECRET, msgId: 'msg_q', body: good }),
        },
        body: good,
      },
    )
    assert.equal(keyInQuery.status, 401)
    const unknown = await call('unknown source', `${ingest.url}/webhooks/nobody`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: BASIC_AUTH, ...NOISY_HEADERS },
      body: good,
    })
    assert.equal(unknown.status, 404)

    // POST /events: wrong token, malformed JSON, invalid event, accepted.
    const events = (what: string, body: string, token: string) =>
      call(what, `${ingest.url}/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'idempotency-key': `k-${what.replaceAll(' ', '-')}`,
          ...NOISY_HEADERS,
        },
        body,
      })
    assert.equal((await events('events wrong token', good, WRONG_BEARER)).status, 401)
    assert.equal((await events('events malformed', malformed, EVENT_TOKEN)).status, 400)
    const invalidEvent = JSON.stringify({
      source: 'orders',
      providerEventId: CARDS[1],
      type: 'payment.updated',
      entityType: 'payment',
      entityId: 'pay_events',
      entityVersion: CARDS[1],
      correlationId: CARDS[0],
      payload: cardPayload('pay_events', 1),
    })
    assert.equal((await events('events invalid', invalidEvent, EVENT_TOKEN)).status, 400)

    // The projector dead-letters a record PostgreSQL refuses; the admin API lists and shows it.
    assert.equal(
      (await webhook('dead-lettered', JSON.stringify(cardPayload('pay_dlq', 1)), WEBHOOK_SECRET, 'msg_dlq'))
        .status,
      202,
    )
    await waitFor(() => projector.lines.find((l) => String(l.msg).startsWith('record moved to the DLQ')), {
      description: 'the refused record dead-lettered',
    })
    const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}`, ...NOISY_HEADERS }
    const listed = await call('dlq list', `${admin.url}/dlq?group=${groupId}`, { headers: adminAuth })
    const record = ((await listed.json()) as { records: { partition: number; offset: string }[] }).records[0]
    assert(record, 'the DLQ holds the refused record')
    await call('dlq show', `${admin.url}/dlq/${groupId}/${record.partition}/${record.offset}`, {
      headers: adminAuth,
    })

    // Admin: wrong token, invalid source (secret in body), create, rotate, a second create (conflict).
    const json = { 'content-type': 'application/json' }
    assert.equal(
      (
        await call('admin wrong token', `${admin.url}/sources`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${WRONG_BEARER}`, ...NOISY_HEADERS },
          body: JSON.stringify({ name: 'gh', kind: 'github', secrets: [NEW_SOURCE_SECRET] }),
        })
      ).status,
      401,
    )
    const source = (what: string, path: string, body: unknown) =>
      call(what, `${admin.url}${path}`, {
        method: 'POST',
        headers: { ...json, ...adminAuth },
        body: JSON.stringify(body),
      })
    assert.equal(
      (
        await source('invalid source', '/sources', {
          name: 'gh',
          kind: 'hmac',
          secrets: [SHORT_SECRET_IN_BAD_BODY],
        })
      ).status,
      400,
    )
    assert.equal(
      (await source('unknown kind', '/sources', { name: 'gh', kind: CARDS[1], secrets: [NEW_SOURCE_SECRET] }))
        .status,
      400,
    )
    // Malformed JSON: the parser's message quotes the text it choked on.
    const brokenSecretBody = `{"secret": "${ROTATED_SECRET}", "card": "${CARDS[1]}"`
    for (const [what, path] of [
      ['admin malformed source', '/sources'],
      ['admin malformed rotation', '/sources/gh-secrets/secrets'],
      ['admin malformed replay', '/dlq/replay'],
    ] as const) {
      const answer = await call(what, `${admin.url}${path}`, {
        method: 'POST',
        headers: { ...json, ...adminAuth },
        body: brokenSecretBody,
      })
      assert.equal(answer.status, 400, what)
    }
    const ghTopic = `${topic}.gh`
    const created = { name: 'gh-secrets', kind: 'github', secrets: [NEW_SOURCE_SECRET], topic: ghTopic }
    assert.equal((await source('create source', '/sources', created)).status, 201)
    assert.equal((await source('duplicate source', '/sources', created)).status, 409)
    assert.equal(
      (await source('rotate', '/sources/gh-secrets/secrets', { secret: ROTATED_SECRET })).status,
      201,
    )
    assert.equal(
      (await source('rotate unknown', '/sources/nobody/secrets', { secret: ROTATED_SECRET })).status,
      404,
    )
    // Ingest serves the admin-created source, and refuses a delivery signed with a wrong secret.
    const ghBody = JSON.stringify({ action: 'opened', issue: { id: 9, number: 9, body: CARDS[0] } })
    const gh = (what: string, secret: string, delivery: string) =>
      call(what, `${ingest.url}/webhooks/gh-secrets`, {
        method: 'POST',
        headers: {
          ...json,
          ...NOISY_HEADERS,
          'x-github-event': 'issues',
          'x-github-delivery': delivery,
          ...signGithub({ body: ghBody, secret }),
        },
        body: ghBody,
      })
    await waitFor(async () => (await gh('gh rotated', ROTATED_SECRET, 'd-1')).status === 202, {
      description: 'ingest serving the admin-created source',
    })
    assert.equal((await gh('gh wrong secret', WRONG_SECRET, 'd-2')).status, 401)

    // Reconciler: wrong token, then a run whose API key the provider refuses.
    const reconcile = (what: string, token: string) =>
      call(what, `${reconciler.url}/runs`, {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${token}`, ...NOISY_HEADERS },
        body: JSON.stringify({ source: 'billing', entityType: 'customer' }),
      })
    assert.equal((await reconcile('reconciler wrong token', WRONG_BEARER)).status, 401)
    const run = await reconcile('reconcile run', RECONCILER_TOKEN)
    assert.equal(run.status, 202)
    const { runId } = (await run.json()) as { runId: string }
    await waitFor(
      () =>
        reconciler.lines.find(
          (l) => l.msg === 'reconciliation failed; starting it again resumes from its checkpoint',
        ),
      {
        description: 'the run failing on the refused key',
      },
    )
    const malformedRun = await call('reconciler malformed', `${reconciler.url}/runs`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${RECONCILER_TOKEN}` },
      body: brokenSecretBody,
    })
    assert.equal(malformedRun.status, 400)
    await call('run report', `${reconciler.url}/runs/${runId}`, {
      headers: { authorization: `Bearer ${RECONCILER_TOKEN}` },
    })
    assert(fakes.stripe.requests().length > 0, 'the reconciler called the provider')

    // Stop every service so its last lines (shutdown, flush) are written, then scan everything.
    for (const service of services) await service.stop()
    const found: string[] = []
    for (const service of services) {
      for (const secret of leaks(service.output())) {
        const line = service
          .output()
          .split('\n')
          .find((l) => l.includes(secret))
        found.push(`${service.name} log: ${secret} in ${line?.slice(0, 600)}`)
      }
    }
    for (const { what, status, body } of bodies) {
      for (const secret of leaks(body))
        found.push(`${what} (${status}) body: ${secret} in ${body.slice(0, 600)}`)
    }
    assert.deepEqual(found, [])
    // The scan saw the failure paths it was meant to.
    const messages = services.flatMap((s) => s.lines.map((l) => String(l.msg)))
    for (const expected of ['signed delivery quarantined: unusable payload', 'request completed'])
      assert(messages.includes(expected), `some service logged "${expected}"`)
  })
})
