import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildAdminApp, loadAdminConfig } from '@integration-ledger/admin'
import { runDlqCli } from '../../src/cli/dlq.js'
import { PermanentError } from '@integration-ledger/core'
import {
  type DlqActionResult,
  type DlqRecordDetail,
  type DlqRecordView,
  REPLAYED_FROM_HEADER,
} from '@integration-ledger/dlq'
import { EnvelopeCodec, buildEvent, createKafkajsTransport, subscribe } from '@integration-ledger/sdk'
import {
  cleanupScope,
  createTestDatabase,
  serviceEnv,
  stackEnv,
  uniqueName,
  waitFor,
} from '@integration-ledger/testing'
import { createPool } from '@integration-ledger/postgres'
import { Registry } from 'prom-client'

const TOKEN = 'dlq-test-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

describe('DLQ admin API and CLI', () => {
  it('lists, shows, replays once and discards, recording every action', async (t) => {
    const cleanup = cleanupScope(t)
    const stack = stackEnv()
    const databaseUrl = await createTestDatabase(cleanup, stack.databaseUrl)
    const transport = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'admin-dlq-test' })
    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const topic = uniqueName('test.events')
    const group = uniqueName('test.group')
    const admin = transport.admin()
    await admin.connect()
    await admin.ensureTopics([{ topic, partitions: 1, replicationFactor: 1, config: {} }])
    cleanup.after(async () => {
      await admin.deleteTopics(
        (await admin.listTopics()).filter((n) => n === topic || n.startsWith(`${group}.`)),
      )
      await admin.disconnect()
    })

    // The handler rejects events until they come back through a replay ("after the fix").
    const applied: string[] = []
    const subscription = await subscribe({
      transport,
      codec,
      groupId: group,
      topics: [topic],
      topicPartitions: 1,
      handleEvent: async ({ event, record }) => {
        if (!record.headers[REPLAYED_FROM_HEADER])
          throw new PermanentError('VALIDATION_FAILED', 'rejected by rule R7')
        applied.push(event.entityId)
      },
    })
    cleanup.after(() => subscription.close())
    const producer = transport.producer()
    await producer.connect()
    cleanup.after(() => producer.disconnect())
    for (const id of ['order-1', 'order-2', 'order-3']) {
      const event = buildEvent({
        source: 'shop',
        providerEventId: id,
        type: 'order.updated',
        entityType: 'order',
        entityId: id,
        entityVersion: 1,
        payload: {},
      })
      await producer.send([{ topic, key: id, value: await codec.encode(topic, event) }])
    }

    const pool = createPool({ connectionString: databaseUrl, max: 2 })
    cleanup.after(() => pool.end())
    const config = loadAdminConfig({ ...serviceEnv(databaseUrl, stack), LEDGER_ADMIN_TOKEN: TOKEN })
    const app = await buildAdminApp({ config, pool, transport, metrics: new Registry() })
    cleanup.after(() => app.close())

    assert.equal((await app.inject({ url: `/dlq?group=${group}` })).statusCode, 401)
    // Who acts is the token's name: a named token each, created with the bootstrap token.
    const tokenFor = async (name: string) => {
      const created = await app.inject({
        method: 'POST',
        url: '/tokens',
        headers: auth,
        payload: { name, role: 'operator' },
      })
      assert.equal(created.statusCode, 201, created.body)
      return { authorization: `Bearer ${created.json<{ token: string }>().token}` }
    }
    const alice = await tokenFor('ops-alice')
    const bob = await tokenFor('ops-bob')
    const listed = await waitFor(
      async () => {
        const body = (await app.inject({ url: `/dlq?group=${group}`, headers: auth })).json<{
          total: number
          records: DlqRecordView[]
        }>()
        return body.total === 3 && body.records
      },
      { timeoutMs: 20_000 },
    )
    assert.deepEqual(
      listed.map((r) => [r.status, r.errorClass, r.event?.entityId]),
      [
        ['pending', 'VALIDATION_FAILED', 'order-1'],
        ['pending', 'VALIDATION_FAILED', 'order-2'],
        ['pending', 'VALIDATION_FAILED', 'order-3'],
      ],
    )
    const query = (q: string) => app.inject({ url: `/dlq?group=${group}&${q}`, headers: auth })
    assert.equal((await query('source=shop')).json<{ total: number }>().total, 3)
    assert.equal((await query('errorClass=DECODE_FAILED')).json<{ total: number }>().total, 0)
    assert.equal(
      (await query(`until=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`)).json<{
        total: number
      }>().total,
      0,
    )
    const firstPage = (await query('limit=2')).json<{
      total: number
      records: DlqRecordView[]
      next: string
    }>()
    assert.deepEqual(
      [firstPage.total, firstPage.records.length, firstPage.next],
      [3, 2, `${listed[1]!.partition}:${listed[1]!.offset}`],
    )
    const lastPage = (await query(`limit=2&after=${firstPage.next}`)).json<{
      records: DlqRecordView[]
      next?: string
    }>()
    assert.deepEqual(
      lastPage.records.map((r) => r.event?.entityId),
      ['order-3'],
    )
    assert.equal(lastPage.next, undefined, 'the last page has no next')
    const badCursor = await query('after=page-2')
    assert.equal(badCursor.statusCode, 400)
    assert.match(
      badCursor.json<{ message: string }>().message,
      /after: expected the "next" of the previous page/,
    )
    const bad = await query('since=yesterday')
    assert.equal(bad.statusCode, 400)
    assert.match(bad.json<{ message: string }>().message, /since: expected an ISO 8601 time/)

    const [first, second, third] = listed as [DlqRecordView, DlqRecordView, DlqRecordView]
    const shown = await app.inject({ url: `/dlq/${group}/${first.partition}/${first.offset}`, headers: auth })
    assert.equal(shown.statusCode, 200)
    const detail = shown.json<DlqRecordDetail>()
    assert.equal(detail.headers['ledger-error-message'], 'rejected by rule R7')
    assert.equal(detail.event?.type, 'order.updated')
    assert.equal((await app.inject({ url: `/dlq/${group}/0/999`, headers: auth })).statusCode, 404)

    const replay = () =>
      app.inject({
        method: 'POST',
        url: '/dlq/replay',
        headers: alice,
        // A body naming someone else changes nothing: the token says who acts.
        payload: { group, actor: 'mallory', records: [`${first.partition}:${first.offset}`] },
      })
    assert.deepEqual((await replay()).json<DlqActionResult>().done, [
      { partition: first.partition, offset: first.offset },
    ])
    assert.equal((await replay()).json<DlqActionResult>().skipped.length, 1)
    await waitFor(() => applied.length === 1)

    const noReason = await app.inject({
      method: 'POST',
      url: '/dlq/discard',
      headers: bob,
      payload: { group, records: [{ partition: second.partition, offset: second.offset }] },
    })
    assert.equal(noReason.statusCode, 400)
    const discarded = await app.inject({
      method: 'POST',
      url: '/dlq/discard',
      headers: bob,
      payload: {
        group,
        reason: 'duplicate order',
        records: [{ partition: second.partition, offset: Number(second.offset) }],
      },
    })
    assert.equal(discarded.json<DlqActionResult>().done.length, 1)
    assert.match(
      (await app.inject({ url: '/metrics' })).body,
      /ledger_dlq_pending_records\{group="[^"]+"\} 1/,
    )

    // The CLI works on the same records and the same audit trail.
    const out: string[] = []
    const errors: string[] = []
    const io = {
      out: (l: string) => out.push(l),
      err: (l: string) => errors.push(l),
      env: { ...serviceEnv(databaseUrl, stack), USER: 'carol' },
    }
    assert.equal(await runDlqCli(['--help'], io), 0)
    assert.match(out.join('\n'), /Usage: npm run dlq/)
    assert.equal(await runDlqCli(['replay', '--group', group, 'nonsense'], io), 2)
    assert.match(errors.join('\n'), /expected <partition>:<offset>/)
    out.length = 0
    assert.equal(await runDlqCli(['list', '--group', group, '--status', 'pending'], io), 0)
    assert.match(
      out.join('\n'),
      new RegExp(
        `${third.partition}:${third.offset}\\t.*\\tpending\\tpermanent\\tVALIDATION_FAILED\\tshop\\torder/order-3@1`,
      ),
    )
    out.length = 0
    assert.equal(await runDlqCli(['show', '--group', group, `${third.partition}:${third.offset}`], io), 0)
    assert.equal((JSON.parse(out.join('\n')) as DlqRecordDetail).headers['ledger-original-topic'], topic)
    out.length = 0
    errors.length = 0
    assert.equal(await runDlqCli(['replay', '--group', group, '--all', '--reason', 'rule R7 fixed'], io), 0)
    assert.match(out.join('\n'), /replayed: 1/)
    assert.match(errors.join('\n'), /replay: 1\/1/)
    await waitFor(() => applied.length === 2)
    assert.deepEqual(applied.sort(), ['order-1', 'order-3'])
    out.length = 0
    assert.equal(
      await runDlqCli(
        ['discard', '--group', group, `${first.partition}:${first.offset}`, '--reason', 'late'],
        io,
      ),
      0,
    )
    assert.match(out.join('\n'), /skipped, already replayed or discarded: 1/)

    // The index is derived: rebuilt from the topic, it keeps what dlq_actions says.
    await pool.query(`UPDATE dlq_index SET error_class = 'CORRUPTED', status = 'pending'`)
    out.length = 0
    assert.equal(await runDlqCli(['reindex', '--group', group, '--rebuild'], io), 0)
    assert.match(out.join('\n'), /indexed 3 record\(s\)/)
    out.length = 0
    assert.equal(await runDlqCli(['list', '--group', group, '--limit', '2'], io), 0)
    assert.match(
      out.join('\n'),
      /\treplayed\tpermanent\tVALIDATION_FAILED\t.*\n.*\tdiscarded\tpermanent\tVALIDATION_FAILED\t/,
    )
    assert.match(
      out.join('\n'),
      new RegExp(`2 of 3 record\\(s\\); next page: --after ${second.partition}:${second.offset}`),
    )

    const { rows } = await pool.query<{
      action: string
      outcome: string
      actor: string
      reason: string | null
    }>('SELECT action, outcome, actor, reason FROM dlq_actions ORDER BY id')
    assert.deepEqual(rows, [
      { action: 'replay', outcome: 'done', actor: 'ops-alice', reason: null },
      { action: 'replay', outcome: 'skipped', actor: 'ops-alice', reason: null },
      { action: 'discard', outcome: 'done', actor: 'ops-bob', reason: 'duplicate order' },
      { action: 'replay', outcome: 'done', actor: 'cli:carol', reason: 'rule R7 fixed' },
      { action: 'discard', outcome: 'skipped', actor: 'cli:carol', reason: 'late' },
    ])
    const audit = await pool.query<Record<string, unknown>>(
      `SELECT service, actor, action, target, outcome, status, error_code AS "errorCode",
              details->'done' AS done, details->'skipped' AS skipped
         FROM ledger_audit_log ORDER BY id`,
    )
    const target = `dlq:${group}`
    const row = (service: string, actor: string, action: string, rest: Record<string, unknown>) => ({
      service,
      actor,
      action,
      target,
      status: null,
      errorCode: null,
      done: null,
      skipped: null,
      ...rest,
    })
    assert.deepEqual(audit.rows, [
      row('admin', 'bootstrap', 'token.create', {
        target: 'token:ops-alice',
        outcome: 'succeeded',
        status: 201,
      }),
      row('admin', 'bootstrap', 'token.create', {
        target: 'token:ops-bob',
        outcome: 'succeeded',
        status: 201,
      }),
      row('admin', 'ops-alice', 'dlq.replay', { outcome: 'succeeded', status: 200, done: 1, skipped: 0 }),
      row('admin', 'ops-alice', 'dlq.replay', { outcome: 'succeeded', status: 200, done: 0, skipped: 1 }),
      row('admin', 'ops-bob', 'dlq.discard', {
        outcome: 'failed',
        status: 400,
        errorCode: 'VALIDATION_FAILED',
      }),
      row('admin', 'ops-bob', 'dlq.discard', { outcome: 'succeeded', status: 200, done: 1, skipped: 0 }),
      row('dlq-cli', 'cli:carol', 'dlq.replay', { outcome: 'succeeded', done: 1, skipped: 0 }),
      row('dlq-cli', 'cli:carol', 'dlq.discard', { outcome: 'succeeded', done: 0, skipped: 1 }),
    ])
  })
})
