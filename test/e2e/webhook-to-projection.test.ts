import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Kafka } from 'kafkajs'
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

describe('walking skeleton: signed webhook → ingest → Kafka → projector → PostgreSQL', () => {
  it('projects a Standard Webhooks delivery, keyed by entity ID, after the broker acknowledged', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const databaseUrl = await createTestDatabase(t, stack.databaseUrl)
    const topic = uniqueName('e2e.events').replaceAll('_', '.')
    const sourcesFile = await writeSourcesFile([
      '  - name: acme',
      '    kind: standard',
      `    secrets: ["${SECRET}"]`,
      `    topic: ${topic}`,
      '    entity:',
      '      type: /data/object',
      '      id: /data/id',
      '      version: /data/version',
    ])
    const env = serviceEnv(databaseUrl, stack)

    const ingest = await startIngest(loadIngestConfig({ ...env, LEDGER_SOURCES: sourcesFile, PORT: '0' }))
    t.after(() => ingest.close())
    await ingest.listen({ host: '127.0.0.1', port: 0 })
    const { app: projectorApp, projector } = await buildProjectorApp(
      loadProjectorConfig({
        ...env,
        PROJECTOR_TOPICS: topic,
        PROJECTOR_GROUP_ID: uniqueName('e2e-projector'),
      }),
    )
    t.after(() => projectorApp.close())

    const body = JSON.stringify({
      type: 'customer.updated',
      data: { object: 'customer', id: 'cus_42', version: 7, name: 'Ada' },
    })
    const headers = signStandard({
      secret: SECRET,
      msgId: 'msg_e2e_1',
      body,
    })
    const address = ingest.server.address()
    assert(address && typeof address === 'object')
    const response = await fetch(`http://127.0.0.1:${address.port}/webhooks/acme`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    })
    assert.equal(response.status, 202)
    const accepted = (await response.json()) as { eventId: string }
    assert.match(accepted.eventId, /^[0-9a-f-]{36}$/)

    const row = await waitFor(() => projector.store.get('customer', 'cus_42'), {
      description: 'projection row',
    })
    assert.equal(row.version, 7)
    assert.equal(row.lastEventId, accepted.eventId)
    assert.deepEqual(row.state, JSON.parse(body))

    // The record in Kafka is keyed by the entity ID and registry-encoded (magic byte 0 + schema ID).
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: 0 })
    const consumer = kafka.consumer({ groupId: uniqueName('e2e-inspect') })
    t.after(() => consumer.disconnect())
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const message = await new Promise<{ key: string; magic: number }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message: m }) => resolve({ key: String(m.key), magic: m.value?.[0] ?? -1 }),
      })
    })
    assert.equal(message.key, 'cus_42')
    assert.equal(message.magic, 0)

    const subjects = (await (await fetch(`${stack.schemaRegistryUrl}/subjects`)).json()) as string[]
    assert(subjects.includes(`${topic}-value`), 'envelope schema registered under the topic subject')

    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await ingest.inject({ method: 'GET', url: path })
      assert.equal(res.statusCode, 200, `ingest ${path}`)
      const projectorRes = await projectorApp.inject({ method: 'GET', url: path })
      assert.equal(projectorRes.statusCode, 200, `projector ${path}`)
    }
  })
})
