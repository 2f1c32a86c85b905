import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseEventBody } from '@integration-ledger/core'
import { loadIngestConfig, startIngest } from '@integration-ledger/ingest'
import { EnvelopeCodec, createKafkajsTransport, dlqTopicName, readTopic } from '@integration-ledger/sdk'
import {
  cleanupScope,
  createTestPool,
  serviceEnv,
  signStripe,
  stackEnv,
  uniqueName,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import { ensureTestTopics } from '../e2e/projector-support.js'
import { npmInstall, outsideEnv, outsideFolder, packPackages, repoRoot, run } from './support.js'

const STRIPE_SECRET = 'whsec_packaging_examples_secret'
const EVENTS_TOKEN = 'packaging-examples-token-0001'

describe('examples/, run as their READMEs say, against a real ingest and the stack', () => {
  it('node consumer + producer, Stripe webhooks, curl and Python through POST /events', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    const topic = uniqueName('examples.events').replaceAll('_', '.')
    const group = uniqueName('examples.customers')
    await ensureTestTopics(t, stack, topic, group)

    // The examples' layout outside the workspace: examples/node next to examples/tarballs.
    const examples = join(await outsideFolder(t, 'ledger-examples'), 'examples')
    await cp(join(repoRoot, 'examples/node'), join(examples, 'node'), {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
    })
    await packPackages(join(examples, 'tarballs'))
    const node = join(examples, 'node')
    await npmInstall(node)
    await run('npm', ['run', 'build'], { cwd: node, env: outsideEnv() })

    const sourcesFile = await writeSourcesFile([
      '  - name: billing',
      '    kind: stripe',
      `    secrets: ["${STRIPE_SECRET}"]`,
      `    topic: ${topic}`,
    ])
    const ingest = await startIngest(
      loadIngestConfig({
        ...serviceEnv(databaseUrl, stack),
        LEDGER_SOURCES: sourcesFile,
        INGEST_EVENT_TOKENS: `orders=${EVENTS_TOKEN}`,
        INGEST_EVENTS_TOPIC: topic,
        PORT: '0',
      }),
    )
    t.after(() => ingest.close())
    await ingest.listen({ host: '127.0.0.1', port: 0 })
    const address = ingest.server.address()
    assert(address && typeof address === 'object')
    const ingestUrl = `http://127.0.0.1:${address.port}`

    const exampleEnv = outsideEnv({
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
      DATABASE_URL: databaseUrl,
      EXAMPLE_TOPIC: topic,
      EXAMPLE_GROUP: group,
    })
    const consumer = spawn(process.execPath, ['dist/consumer.js'], { cwd: node, env: exampleEnv })
    let output = ''
    consumer.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    consumer.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise((resolve) => consumer.once('exit', resolve))
    t.after(async () => {
      consumer.kill('SIGTERM')
      await exited
    })
    await waitFor(() => output.includes(`consuming ${topic} as ${group}`), {
      description: () => `the consumer to start; its output:\n${output}`,
    })

    // The Node producer: two typed events for cus_node, one invalid one published untyped.
    const produced = await run(
      process.execPath,
      ['dist/producer.js', 'cus_node', 'ada@example.com', '--invalid'],
      {
        cwd: node,
        env: exampleEnv,
        timeout: 60_000,
      },
    )
    assert.match(produced.stdout, /published customer\.created and customer\.updated for cus_node/)

    // A Stripe webhook through ingest reaches the same consumer.
    const body = JSON.stringify({
      id: 'evt_examples_1',
      object: 'event',
      type: 'customer.updated',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'cus_webhook', object: 'customer', email: 'grace@example.com', name: 'Grace' } },
    })
    const webhook = await fetch(`${ingestUrl}/webhooks/billing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signStripe({ secret: STRIPE_SECRET, body }) },
      body,
    })
    assert.equal(webhook.status, 202, await webhook.text())

    const customers = async () =>
      (
        await pool.query<{ id: string; email: string | null; name: string | null }>(
          'SELECT id, email, name FROM example_customers ORDER BY id',
        )
      ).rows
    await waitFor(async () => (await customers().catch(() => [])).length === 2, {
      description: () => `two customers in example_customers; consumer output:\n${output}`,
    })
    assert.deepEqual(await customers(), [
      { id: 'cus_node', email: 'ada@example.com', name: 'Ada Lovelace' },
      { id: 'cus_webhook', email: 'grace@example.com', name: 'Grace' },
    ])
    const transport = createKafkajsTransport({ brokers: stack.kafkaBrokers })
    const dead = await waitFor(async () => {
      const records = await readTopic(transport, dlqTopicName(group))
      return records.length > 0 && records
    })
    assert.equal(dead.length, 1)
    assert.equal(dead[0]!.headers['ledger-error-class'], 'VALIDATION_FAILED')
    assert.match(
      dead[0]!.headers['ledger-error-message'] ?? '',
      /customer\.updated payload fails its schema: data\.object\.email/,
    )
    assert.match(output, /record moved to the DLQ/)

    // curl and Python through POST /events, with the development client's token.
    const httpEnv = outsideEnv({ INGEST_URL: ingestUrl, INGEST_EVENT_TOKEN: EVENTS_TOKEN })
    const posted = async (command: string, args: string[]) => {
      const { stdout } = await run(command, args, { cwd: repoRoot, env: httpEnv, timeout: 60_000 })
      return (JSON.parse(stdout) as { eventId: string }).eventId
    }
    const curlId = await posted(join(repoRoot, 'examples/curl/post-event.sh'), [
      'ord_curl',
      '4999',
      '2026-12-01T14:00:00Z',
    ])
    assert.equal(
      await posted(join(repoRoot, 'examples/curl/post-event.sh'), [
        'ord_curl',
        '4999',
        '2026-12-01T14:00:00Z',
      ]),
      curlId,
      'run twice for one order: the same event, published once',
    )
    const pythonId = await posted('python3', [
      join(repoRoot, 'examples/python/post_event.py'),
      'ord_python',
      '2500',
    ])
    await assert.rejects(
      run('python3', [join(repoRoot, 'examples/python/post_event.py'), 'ord_x'], {
        env: { ...httpEnv, INGEST_EVENT_TOKEN: 'not-a-known-token-at-all' },
      }),
      (err: { stderr: string }) => /^401: .*UNAUTHORIZED/.test(err.stderr),
    )

    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const events = await Promise.all((await readTopic(transport, topic)).map((r) => codec.decode(r.value!)))
    const orders = events.filter((e) => e.source === 'orders')
    assert.deepEqual(
      orders
        .map((e) => [e.eventId, e.type, e.entityId, parseEventBody<{ totalCents: number }>(e).totalCents])
        .sort(),
      [
        [curlId, 'order.created', 'ord_curl', 4999],
        [pythonId, 'order.created', 'ord_python', 2500],
      ].sort(),
    )
  })
})
