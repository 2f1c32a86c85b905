import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { loadAdminConfig, startAdmin } from '@integration-ledger/admin'
import type { LedgerEvent } from '@integration-ledger/core'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { LedgerStore, migrate, toLedgerRecord } from '@integration-ledger/projector'
import { EnvelopeCodec, createKafkajsTransport, readTopic } from '@integration-ledger/sdk'
import {
  cleanupScope,
  createTestDatabase,
  serviceEnv,
  signStripe,
  stackEnv,
  uniqueName,
  waitFor,
} from '@integration-ledger/testing'
import { createPool } from '@integration-ledger/postgres'
import { runVerifyCli } from '../../services/admin/src/cli/verify.js'

const TOKEN = 'verify-token-0123456789abcdef'
const OLD = 'whsec_old_signing_secret_0123'
const NEW = 'whsec_new_signing_secret_4567'
const UNKNOWN = 'whsec_never_in_the_store_89ab'

interface Check {
  status: string
  eventId: string
  signedBy: { id: string; retiredAt: string | null }[]
  timestamp: { result: string; judgedAt: string; signedAt?: string }
  message?: string
}

describe('npm run verify: signatures re-checked from the ledger', () => {
  it('names the current or retired secret that signed each event, reports tampered and unknown-secret records, and breaks --all down per secret', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const databaseUrl = await createTestDatabase(t, stack.databaseUrl)
    const masterKeys = `k1:${randomBytes(32).toString('base64')}`
    const env = { ...serviceEnv(databaseUrl, stack), LEDGER_MASTER_KEYS: masterKeys }
    const admin = await startAdmin(loadAdminConfig({ ...env, LEDGER_ADMIN_TOKEN: TOKEN }))
    t.after(() => admin.close())
    const ingest = await startIngest(loadIngestConfig(env))
    t.after(() => ingest.close())
    const transport = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'verify-test' })
    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const topic = uniqueName('verify.events').replaceAll('_', '.')
    t.after(async () => {
      const kafka = transport.admin()
      await kafka.connect()
      await kafka.deleteTopics([topic]).catch(() => {})
      await kafka.disconnect()
    })
    const call = (method: 'POST' | 'DELETE', url: string, body?: unknown) =>
      admin.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TOKEN}` },
        ...(body ? { payload: body } : {}),
      })

    const since = new Date(Date.now() - 1000).toISOString()
    const created = await call('POST', '/sources', { name: 'billing', kind: 'stripe', secrets: [OLD], topic })
    assert.equal(created.statusCode, 201, created.body)
    const oldId = created.json<{ secrets: { id: string }[] }>().secrets[0]!.id

    let n = 0
    /** Delivers a Stripe event signed with `secrets`; returns the event ID ingest answered. */
    const deliver = async (secrets: string[]): Promise<string> => {
      const seq = ++n
      const body = JSON.stringify({
        id: `evt_${seq}`,
        object: 'event',
        type: 'customer.updated',
        created: 1_700_000_000 + seq,
        data: { object: { object: 'customer', id: 'cus_1', seq } },
      })
      const res = await waitFor(
        async () => {
          const r = await ingest.inject({
            method: 'POST',
            url: '/webhooks/billing',
            headers: { 'content-type': 'application/json', ...signStripe({ body, secret: secrets }) },
            payload: body,
          })
          return r.statusCode === 202 ? r : undefined
        },
        { timeoutMs: 10_000, description: `ingest accepts evt_${seq}` },
      )
      return res.json<{ eventId: string }>().eventId
    }

    const byOld = await deliver([OLD])
    const newId = (await call('POST', '/sources/billing/secrets', { secret: NEW })).json<{ id: string }>().id
    const byBoth = await deliver([OLD, NEW]) // a sender signs with both during the rotation
    const byNew = await deliver([NEW])
    assert.equal((await call('DELETE', `/sources/billing/secrets/${oldId}`)).statusCode, 204)
    const byNewAfter = await deliver([NEW])

    // Records ingest would never write: a body altered after signing, and a secret the store never had.
    const [stored] = await readTopic(transport, topic)
    const original = await codec.decode(stored!.value!)
    const forged = (rawBody: Buffer, headers: Record<string, string>): LedgerEvent => ({
      ...original,
      eventId: randomUUID(),
      providerEventId: `forged_${randomUUID()}`,
      rawBody,
      headers,
    })
    const tamperedBody = Buffer.from(original.rawBody.toString().replace('"seq":1', '"seq":99'))
    const tampered = forged(tamperedBody, original.headers)
    const unknown = forged(original.rawBody, {
      ...original.headers,
      ...signStripe({
        body: original.rawBody,
        secret: UNKNOWN,
        timestampSec: Math.floor(original.receivedAt.getTime() / 1000),
      }),
    })
    const producer = transport.producer()
    await producer.connect()
    for (const event of [tampered, unknown]) {
      await producer.send([{ topic, key: event.entityId, value: await codec.encode(topic, event) }])
    }
    await producer.disconnect()

    // The projector's own record-keeping writes the ledger table from the topic.
    const pool = createPool({ connectionString: databaseUrl, max: 2 })
    t.after(() => pool.end())
    await migrate(pool)
    const records = await readTopic(transport, topic)
    const ledger = []
    for (const r of records) {
      const checked = toLedgerRecord(await codec.decode(r.value!), r)
      assert(checked.ok)
      ledger.push(checked.record)
    }
    await new LedgerStore(pool).applyBatch(ledger)
    assert.equal(ledger.length, 6)

    const run = async (...args: string[]) => {
      const out: string[] = []
      const err: string[] = []
      const code = await runVerifyCli(args, {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        env: { ...env, LOG_LEVEL: 'silent' },
      })
      return { code, out: out.join('\n'), err: err.join('\n') }
    }
    const json = async (...args: string[]) => {
      const r = await run(...args, '--json')
      return { code: r.code, check: JSON.parse(r.out) as Check, err: r.err }
    }

    // Signed by the secret retired since; judged at its received time.
    const first = await json(byOld)
    assert.equal(first.code, 0, first.err)
    assert.equal(first.check.status, 'verified')
    assert.deepEqual(
      first.check.signedBy.map((s) => s.id),
      [oldId],
    )
    assert.ok(first.check.signedBy[0]?.retiredAt, 'the old secret is shown as retired')
    assert.equal(first.check.timestamp.result, 'within')
    const text = await run(byOld)
    assert.match(text.out, new RegExp(`signed by  secret ${oldId} \\(master key k1\\), active .* – \\d{4}-`))
    assert.match(text.out, /within the tolerance at .* \(the received time\)/)
    assert.ok(!text.out.includes(OLD) && !text.out.includes(NEW), 'never prints a secret')

    assert.deepEqual((await json(byBoth)).check.signedBy.map((s) => s.id).sort(), [oldId, newId].sort())
    const current = await json(byNew)
    assert.equal(current.code, 0)
    assert.deepEqual(current.check.signedBy, [{ ...current.check.signedBy[0], id: newId, retiredAt: null }])

    const afterRetirement = await json(byNewAfter)
    assert.deepEqual([afterRetirement.code, afterRetirement.check.signedBy.map((s) => s.id)], [0, [newId]])

    // Judged a day later, the signature still holds but the timestamp is outside the tolerance.
    const later = new Date(Date.now() + 86_400_000).toISOString()
    const replayed = await json(byNew, '--now', later)
    assert.equal(replayed.code, 3)
    assert.equal(replayed.check.status, 'timestamp_outside_tolerance')
    assert.equal(replayed.check.timestamp.judgedAt, later)
    assert.ok(replayed.check.timestamp.signedAt)

    for (const bad of [tampered, unknown]) {
      const r = await json(bad.eventId)
      assert.equal(r.code, 1)
      assert.equal(r.check.status, 'signature_failed')
      assert.deepEqual(r.check.signedBy, [])
      assert.match(
        r.check.message ?? '',
        /bad_signature: none of the 2 secret\(s\) the store has for "billing" \(active and retired\) signed this event/,
      )
    }

    const missing = await run(randomUUID())
    assert.equal(missing.code, 4)
    assert.match(missing.err, /NOT_FOUND: Event .* is not in the ledger table/)
    assert.equal((await run(byOld, '--now', 'tomorrow')).code, 2)
    assert.equal((await run('--all', '--source', 'billing')).code, 2)
    assert.equal(
      await runVerifyCli([byOld], { out: () => {}, err: () => {}, env: serviceEnv(databaseUrl, stack) }),
      2,
    )

    // --all: every event of the source, and which events only the (leaked) old secret signed.
    const all = await run('--all', '--source', 'billing', '--since', since, '--only-secret', oldId, '--json')
    assert.equal(all.code, 1, all.err)
    assert.match(all.err, /verify: 6\/6 events \(100\.0 %\), \d+ events\/s, done in/)
    const summary = JSON.parse(all.out) as {
      checked: number
      byStatus: Record<string, number>
      secrets: { id: string; signed: number; onlyThisSecret: number }[]
      problems: { eventId: string; status: string }[]
      onlySecret: { id: string; eventIds: string[] }
    }
    assert.equal(summary.checked, 6)
    assert.deepEqual(summary.byStatus, {
      verified: 4,
      timestamp_outside_tolerance: 0,
      signature_failed: 2,
      unreadable: 0,
    })
    const tally = new Map(summary.secrets.map((s) => [s.id, s]))
    assert.deepEqual([tally.get(oldId)?.signed, tally.get(oldId)?.onlyThisSecret], [2, 1])
    assert.deepEqual([tally.get(newId)?.signed, tally.get(newId)?.onlyThisSecret], [3, 2])
    assert.deepEqual(summary.onlySecret, { id: oldId, eventIds: [byOld] })
    assert.deepEqual(
      summary.problems.map((p) => p.eventId).sort(),
      [tampered.eventId, unknown.eventId].sort(),
    )
    const table = await run(
      '--all',
      '--source',
      'billing',
      '--since',
      since,
      '--until',
      new Date().toISOString(),
    )
    assert.match(table.out, new RegExp(`${newId}\\tk1\\t\\S+\\t-\\t3\\t2`))
    assert.match(table.out, /verified 4, signature failed 2/)
  })
})
