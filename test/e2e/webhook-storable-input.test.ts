import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { buildProjectorApp, loadProjectorConfig } from '@integration-ledger/projector'
import {
  cleanupScope,
  createTestDatabase,
  serviceEnv,
  signStandard,
  stackEnv,
  uniqueName,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

describe('signed deliveries: what ingest accepts the projector stores, the rest is quarantined with a reason', () => {
  it('projects tolerable bodies and quarantines unstorable ones up front', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const env = serviceEnv(await createTestDatabase(t, stack.databaseUrl), stack)
    const topic = uniqueName('e2e.storable').replaceAll('_', '.')
    const sourcesFile = await writeSourcesFile([
      '  - name: acme',
      '    kind: standard',
      `    secrets: ["${SECRET}"]`,
      `    topic: ${topic}`,
      '    entity: { type: /data/object, id: /data/id, version: /data/version }',
    ])
    const ingest = await startIngest(loadIngestConfig({ ...env, LEDGER_SOURCES: sourcesFile }))
    t.after(() => ingest.close())
    const { app: projectorApp, projector } = await buildProjectorApp(
      loadProjectorConfig({
        ...env,
        PROJECTOR_TOPICS: topic,
        PROJECTOR_GROUP_ID: uniqueName('e2e-storable'),
      }),
    )
    t.after(() => projectorApp.close())

    let n = 0
    const send = async (body: string | Buffer) => {
      const msgId = `msg_storable_${n++}`
      const res = await ingest.inject({
        method: 'POST',
        url: '/webhooks/acme',
        headers: {
          'content-type': 'application/json',
          ...signStandard({ secret: SECRET, msgId, body: body.toString() }),
        },
        payload: body,
      })
      return { status: res.statusCode, body: res.json<Record<string, unknown>>() }
    }
    const delivery = (id: unknown, version: unknown, extra = '') =>
      `{"type":"customer.updated","data":{"object":"customer","id":${JSON.stringify(id)},"version":${JSON.stringify(version)}${extra}}}`

    await test.test('a UTF-8 byte order mark is tolerated and the delivery is projected', async () => {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(delivery('cus_bom', 3))])
      const res = await send(body)
      assert.equal(res.status, 202, JSON.stringify(res.body))
      assert.equal(res.body['duplicate'], false)
      const row = await waitFor(() => projector.store.get('customer', 'cus_bom'), {
        description: 'projection of the BOM delivery',
      })
      assert.equal(row.version, 3)
      assert.deepEqual(row.state, JSON.parse(delivery('cus_bom', 3)))
    })

    await test.test('an entity ID of the maximum length is projected', async () => {
      const id = 'x'.repeat(512)
      const res = await send(delivery(id, 1))
      assert.equal(res.status, 202, JSON.stringify(res.body))
      assert.equal(res.body['duplicate'], false)
      await waitFor(() => projector.store.get('customer', id), { description: 'long entity ID' })
    })

    const quarantined: [string, string, RegExp][] = [
      ['an escaped NUL', delivery('cus_nul', 1, ',"note":"a\\u0000b"'), /\\u0000/],
      ['a lone surrogate', delivery('cus_sur', 1, ',"note":"\\ud800"'), /surrogate/],
      ['a lone low surrogate', delivery('cus_low', 1, ',"note":"\\udc00x"'), /surrogate/],
      ['a number PostgreSQL cannot hold', delivery('cus_num', 1, ',"n":1e131072'), /numeric range/],
      [
        'nesting deeper than 256',
        delivery('cus_deep', 1, `,"deep":${'['.repeat(300)}${']'.repeat(300)}`),
        /256 levels/,
      ],
    ]
    for (const [what, body, message] of quarantined) {
      await test.test(`${what} is quarantined as unstorable_json`, async () => {
        const res = await send(body)
        assert.equal(res.status, 202, JSON.stringify(res.body))
        assert.equal(res.body['quarantined'], true, JSON.stringify(res.body))
        assert.equal(res.body['reason'], 'unstorable_json')
        assert.match(String(res.body['message']), message)
      })
    }

    const badVersions: [string, unknown][] = [
      ['a fraction', 1.5],
      ['above 2^53', 2 ** 63],
      ['a numeric string above 2^53', '9223372036854775807'],
      ['negative', -1],
    ]
    for (const [what, version] of badVersions) {
      await test.test(`a version that is ${what} is quarantined with a reason`, async () => {
        const res = await send(delivery('cus_version', version))
        assert.equal(res.status, 202, JSON.stringify(res.body))
        assert.equal(res.body['quarantined'], true, JSON.stringify(res.body))
        assert.equal(res.body['reason'], 'validation_failed')
        assert.match(String(res.body['message']), /version .* non-negative integer/)
      })
    }

    await test.test('an entity ID over the maximum length is quarantined with a reason', async () => {
      const res = await send(delivery('y'.repeat(513), 1))
      assert.equal(res.body['quarantined'], true, JSON.stringify(res.body))
      assert.equal(res.body['reason'], 'validation_failed')
      assert.match(String(res.body['message']), /512/)
    })

    await test.test('only the two accepted deliveries reached the event topic', async () => {
      const admin = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin()
      await admin.connect()
      t.after(() => admin.disconnect())
      const offsets = await admin.fetchTopicOffsets(topic)
      assert.equal(
        offsets.reduce((sum, o) => sum + Number(o.high), 0),
        2,
      )
    })
  })
})
