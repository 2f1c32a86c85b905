import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import type { AdminTokenInfo, AuditPage, AuditRecord, CreatedAdminToken } from '@integration-ledger/access'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import { createKafkajsTransport } from '@integration-ledger/sdk'
import { cleanupScope, createTestPool, serviceEnv, stackEnv, uniqueName } from '@integration-ledger/testing'

const BOOTSTRAP = 'tokens-test-bootstrap-0123456789'

describe('named admin tokens and the audit log', () => {
  it('create, read-only refused on writes, revoke; every state change audited under the token', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    const app = await startAdmin(
      loadAdminConfig({
        ...serviceEnv(databaseUrl, stack),
        LEDGER_ADMIN_TOKEN: BOOTSTRAP,
        LEDGER_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      }),
    )
    t.after(() => app.close())
    const topic = uniqueName('admin.tokens').replaceAll('_', '.')
    t.after(async () => {
      const admin = createKafkajsTransport({ brokers: stack.kafkaBrokers }).admin()
      await admin.connect()
      await admin.deleteTopics([topic]).catch(() => {})
      await admin.disconnect()
    })
    const as = (token: string) => (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(payload === undefined ? {} : { payload }),
      })
    const bootstrap = as(BOOTSTRAP)

    // The bootstrap token creates the first named token; the body cannot say who asked.
    const first = await bootstrap('POST', '/tokens', { name: 'ada', role: 'operator', createdBy: 'mallory' })
    assert.equal(first.statusCode, 201, first.body)
    const adaToken = first.json<CreatedAdminToken>()
    assert.equal(adaToken.createdBy, 'bootstrap')
    const ada = as(adaToken.token)
    assert.deepEqual((await ada('GET', '/whoami')).json(), {
      authenticated: true,
      name: 'ada',
      role: 'operator',
    })
    const second = await ada('POST', '/tokens', { name: 'viewer', role: 'read-only', actor: 'bootstrap' })
    assert.equal(second.statusCode, 201, second.body)
    const viewerToken = second.json<CreatedAdminToken>()
    assert.equal(viewerToken.createdBy, 'ada')
    const viewer = as(viewerToken.token)
    assert.equal((await ada('POST', '/tokens', { name: 'viewer', role: 'operator' })).statusCode, 409)
    assert.equal((await ada('POST', '/tokens', { name: 'Not Valid', role: 'operator' })).statusCode, 400)

    // Listed without secrets, by any token.
    const listed = await viewer('GET', '/tokens')
    assert.equal(listed.statusCode, 200)
    assert.deepEqual(
      listed.json<{ tokens: AdminTokenInfo[] }>().tokens.map((i) => [i.name, i.role, i.createdBy]),
      [
        ['ada', 'operator', 'bootstrap'],
        ['viewer', 'read-only', 'ada'],
      ],
    )
    assert.ok(!listed.body.includes(adaToken.token.slice(-20)) && !listed.body.includes('"token"'))

    // A read-only token reads, and is refused (403) on every state-changing route.
    assert.equal((await viewer('GET', '/sources')).statusCode, 200)
    for (const [method, url, payload] of [
      ['POST', '/tokens', { name: 'sneaky', role: 'operator' }],
      ['DELETE', '/tokens/ada', undefined],
      ['POST', '/sources/billing/disable', undefined],
      ['POST', '/dlq/replay', { group: 'ledger.projector', records: ['0:1'] }],
    ] as const) {
      const refused = await viewer(method, url, payload)
      assert.equal(refused.statusCode, 403, `${method} ${url}: ${refused.body}`)
      const body = refused.json<{ error: string; message: string }>()
      assert.equal(body.error, 'FORBIDDEN')
      assert.match(body.message, /Token "viewer" is read-only; .* needs an operator token/)
    }

    // Sources: created (a failed attempt first), rotated, the old secret retired, disabled.
    assert.equal(
      (await ada('POST', '/sources', { name: 'gh', kind: 'hmac', secrets: ['x'] })).statusCode,
      400,
    )
    const created = await ada('POST', '/sources', {
      name: 'gh',
      kind: 'github',
      secrets: ['old-secret-0123'],
      topic,
    })
    assert.equal(created.statusCode, 201, created.body)
    const oldId = created.json<{ secrets: { id: string }[] }>().secrets[0]!.id
    const added = await ada('POST', '/sources/gh/secrets', { secret: 'new-secret-0123' })
    assert.equal(added.statusCode, 201, added.body)
    assert.equal((await ada('DELETE', `/sources/gh/secrets/${oldId}`)).statusCode, 204)
    assert.equal((await ada('POST', '/sources/gh/disable')).statusCode, 200)
    assert.equal((await ada('POST', '/sources/nope/disable')).statusCode, 404)

    // Revoked: refused from the next request on.
    assert.equal((await ada('DELETE', '/tokens/viewer')).statusCode, 200)
    const gone = await viewer('GET', '/tokens')
    assert.equal(gone.statusCode, 401)
    assert.equal(gone.json<{ error: string }>().error, 'UNAUTHORIZED')
    assert.equal((await ada('DELETE', '/tokens/viewer')).statusCode, 404)

    // The audit log: who (from the token), what, on what, and how it went, refusals included.
    const page = (query: string) => ada('GET', `/audit${query}`).then((r) => r.json<AuditPage>())
    const rows = (await page('?limit=1000')).records.reverse()
    const secretsOf = JSON.stringify(rows)
    assert.ok(
      !secretsOf.includes('old-secret-0123') && !secretsOf.includes('new-secret-0123'),
      'no secret audited',
    )
    assert.ok(!secretsOf.includes(viewerToken.token), 'no token audited')
    assert.deepEqual(
      rows.map((r) => [r.actor, r.action, r.target, r.outcome, r.status, r.errorCode]),
      [
        ['bootstrap', 'token.create', 'token:ada', 'succeeded', 201, null],
        ['ada', 'token.create', 'token:viewer', 'succeeded', 201, null],
        ['ada', 'token.create', 'token:viewer', 'failed', 409, 'CONFLICT'],
        ['ada', 'token.create', 'token:Not Valid', 'failed', 400, 'VALIDATION_FAILED'],
        ['viewer', 'token.create', 'token:sneaky', 'refused', 403, 'FORBIDDEN'],
        ['viewer', 'token.revoke', 'token:ada', 'refused', 403, 'FORBIDDEN'],
        ['viewer', 'source.disable', 'source:billing', 'refused', 403, 'FORBIDDEN'],
        ['viewer', 'dlq.replay', 'dlq:ledger.projector', 'refused', 403, 'FORBIDDEN'],
        ['ada', 'source.create', 'source:gh', 'failed', 400, 'VALIDATION_FAILED'],
        ['ada', 'source.create', 'source:gh', 'succeeded', 201, null],
        ['ada', 'source.secret.add', 'source:gh', 'succeeded', 201, null],
        ['ada', 'source.secret.retire', 'source:gh', 'succeeded', 204, null],
        ['ada', 'source.disable', 'source:gh', 'succeeded', 200, null],
        ['ada', 'source.disable', 'source:nope', 'failed', 404, 'NOT_FOUND'],
        ['ada', 'token.revoke', 'token:viewer', 'succeeded', 200, null],
        ['ada', 'token.revoke', 'token:viewer', 'failed', 404, 'NOT_FOUND'],
      ],
    )
    const byAction = (action: string) => rows.filter((r) => r.action === action)
    assert.equal(byAction('token.create')[1]?.details.tokenId, viewerToken.id)
    assert.equal(byAction('token.create')[1]?.actorTokenId, adaToken.id)
    assert.equal(byAction('token.create')[0]?.actorTokenId, null, 'the bootstrap token has no ID')
    assert.deepEqual(byAction('source.secret.retire')[0]?.details, { secretId: oldId })
    assert.equal(byAction('source.create')[1]?.details.kind, 'github')
    assert.deepEqual(
      byAction('token.revoke').map((r) => r.actorRole),
      ['read-only', 'operator', 'operator'],
    )
    assert.ok(rows.every((r) => r.service === 'admin' && r.correlationId))

    // Filters and keyset pages.
    const actions = (records: AuditRecord[]) => records.map((r) => `${r.action}:${r.outcome}`)
    assert.deepEqual(actions((await page('?actor=viewer')).records), [
      'dlq.replay:refused',
      'source.disable:refused',
      'token.revoke:refused',
      'token.create:refused',
    ])
    assert.deepEqual(actions((await page('?action=source.create')).records), [
      'source.create:succeeded',
      'source.create:failed',
    ])
    assert.equal((await page('?target=source:gh')).records.length, 5)
    assert.equal((await page(`?target=${encodeURIComponent('token:Not Valid')}`)).records.length, 1)
    const p1 = await page('?actor=ada&action=token.revoke&limit=1')
    assert.deepEqual(actions(p1.records), ['token.revoke:failed'])
    const p2 = await page(`?actor=ada&action=token.revoke&limit=1&after=${p1.next!}`)
    assert.deepEqual(actions(p2.records), ['token.revoke:succeeded'])
    assert.equal(p2.next, undefined)
    const tenth = rows[9]!
    assert.equal(
      (await page(`?since=${encodeURIComponent(tenth.at)}&limit=1000`)).records.length,
      rows.length - 9,
    )
    assert.equal((await page(`?until=${encodeURIComponent(tenth.at)}&limit=1000`)).records.length, 9)
    assert.equal((await ada('GET', '/audit?since=yesterday')).statusCode, 400)
    assert.equal((await ada('GET', '/audit?after=abc')).statusCode, 400)

    // Written to the database the reconciler shares, and never changed there.
    await assert.rejects(pool.query(`UPDATE ledger_audit_log SET actor = 'mallory'`), /append-only/)
    await assert.rejects(pool.query(`DELETE FROM ledger_audit_log`), /append-only/)

    const metrics = (await app.inject({ url: '/metrics' })).body
    assert.match(
      metrics,
      /ledger_admin_requests_total\{route="\/tokens",outcome="forbidden",service="admin"\} 1/,
    )
    assert.match(
      metrics,
      /ledger_admin_requests_total\{route="\/tokens",outcome="unauthorized",service="admin"\} 1/,
    )
  })
})
