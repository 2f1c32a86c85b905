import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startFakeProviders } from '@integration-ledger/fake-providers'
import type { IncomingRecord } from '@integration-ledger/kafka'
import {
  DEFAULT_RETRY_TIERS,
  EnvelopeCodec,
  RECORD_HEADERS,
  createKafkajsTransport,
  dlqTopicName,
  readTopic,
  retryTopicName,
} from '@integration-ledger/sdk'
import {
  cleanupScope,
  createTestPool,
  signStandard,
  stackEnv,
  uniqueName,
  waitFor,
  writeSourcesFile,
} from '@integration-ledger/testing'
import { projectorFixture } from './projector-support.js'
import { type LogLine, type ServiceProcess, linesWith, startService } from './service-processes.js'

const SECRET = 'whsec_dHJhY2UtdGVzdC1zZWNyZXQtMDAwMDAwMDA='
const ADMIN_TOKEN = 'trace-admin-token-0123456789'
const RECONCILER_TOKEN = 'trace-reconciler-token-0123456789'
/** A W3C traceparent from an upstream system: its trace ID becomes the correlation ID. */
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`
const REPLAY_ID = `replay-${uniqueName('trace')}`

/**
 * Makes the projector's insert of entity `cus_trace` fail, as `trace_fault.mode` says: transient
 * (serialization failure, retried through a tier), permanent (check violation, dead-lettered) or
 * off. The projection path itself is the real one.
 */
const FAULT_SQL = `
  CREATE TABLE trace_fault (mode text NOT NULL);
  INSERT INTO trace_fault VALUES ('transient');
  CREATE FUNCTION trace_fault() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE m text;
  BEGIN
    IF NEW.entity_id <> 'cus_trace' THEN RETURN NEW; END IF;
    SELECT mode INTO m FROM trace_fault;
    IF m = 'transient' THEN RAISE EXCEPTION 'injected transient fault' USING ERRCODE = '40001'; END IF;
    IF m = 'permanent' THEN RAISE EXCEPTION 'injected permanent fault' USING ERRCODE = '23514'; END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER trace_fault BEFORE INSERT ON ledger_events FOR EACH ROW EXECUTE FUNCTION trace_fault();
`

/**
 * The line `service` logged with correlation ID `id` and message `msg`. Another process writes it
 * and may not have yet: a request's own line comes once its answer has gone out, so a loaded
 * machine can let the test read the answer first.
 */
function lineWith(service: ServiceProcess, id: string, msg: string | RegExp): Promise<LogLine> {
  return waitFor(
    () =>
      linesWith(service, 'correlationId', id).find((l) =>
        typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)),
      ),
    {
      timeoutMs: 10_000,
      description: () =>
        `${service.name} to log "${String(msg)}" with correlationId ${id}; its lines with it: ${JSON.stringify(linesWith(service, 'correlationId', id))}`,
    },
  )
}

describe('one correlation ID from the request to the replay', () => {
  it('follows a delivery through ingest, a retry, the DLQ and a replay, and a reconciliation run to the projector', async (test) => {
    const t = cleanupScope(test)
    const stack = stackEnv()
    const { url: databaseUrl, pool } = await createTestPool(t, stack.databaseUrl)
    const fixture = await projectorFixture(t, 'trace', { databaseUrl })
    const { topic, groupId } = fixture
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
    const fakes = await startFakeProviders({
      seed: 3,
      stripe: { sizes: { customers: 0, subscriptions: 0, invoices: 0, paymentIntents: 0, charges: 0 } },
    })
    t.after(() => fakes.close())

    // Debug: the projector logs events handled on first delivery at debug only.
    const projector = await startService(t, 'projector', fixture.env, { logLevel: 'debug' })
    await pool.query(FAULT_SQL)
    const ingest = await startService(t, 'ingest', { ...fixture.env, LEDGER_SOURCES: sourcesFile })
    const admin = await startService(t, 'admin', { ...fixture.env, LEDGER_ADMIN_TOKEN: ADMIN_TOKEN })
    const reconciler = await startService(t, 'reconciler', {
      ...fixture.env,
      RECONCILER_TOKENS: `trace=${RECONCILER_TOKEN}`,
      TRACE_STRIPE_KEY: fakes.credentials.stripe.secretKey,
      RECONCILER_SOURCES: JSON.stringify([
        {
          name: 'billing',
          kind: 'stripe',
          topic,
          baseUrl: fakes.credentials.stripe.baseUrl,
          credentialEnv: 'TRACE_STRIPE_KEY',
        },
      ]),
    })

    // One delivery, from an upstream system that traces with W3C Trace Context.
    const body = JSON.stringify({
      type: 'customer.updated',
      data: { object: 'customer', id: 'cus_trace', version: 3, name: 'Ada' },
    })
    const delivered = await fetch(`${ingest.url}/webhooks/acme`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: TRACEPARENT,
        ...signStandard({ secret: SECRET, msgId: 'msg_trace_1', body }),
      },
      body,
    })
    assert.equal(delivered.status, 202, await delivered.clone().text())
    const { eventId } = (await delivered.json()) as { eventId: string }

    // Transient first: moved to the first retry tier.
    const retried = await waitFor(
      () =>
        linesWith(projector, 'correlationId', TRACE_ID).find(
          (l) => l.msg === 'record failed transiently; moved to a retry tier',
        ),
      { description: 'the projector moving the record to a retry tier' },
    )
    // Then permanent, when the retry tier delivers it again: dead-lettered.
    await pool.query(`UPDATE trace_fault SET mode = 'permanent'`)
    await waitFor(
      () =>
        linesWith(projector, 'correlationId', TRACE_ID).find((l) =>
          String(l.msg).startsWith('record moved to the DLQ'),
        ),
      { timeoutMs: 60_000, description: 'the projector moving the record to the DLQ' },
    )
    // The fix is in; an operator replays the record through the admin API.
    await pool.query(`UPDATE trace_fault SET mode = 'off'`)
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const listed = (await (await fetch(`${admin.url}/dlq?group=${groupId}`, { headers: auth })).json()) as {
      records: { partition: number; offset: string; event?: { eventId: string } }[]
    }
    assert.equal(listed.records.length, 1)
    assert.equal(listed.records[0]!.event?.eventId, eventId)
    const replay = await fetch(`${admin.url}/dlq/replay`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-correlation-id': REPLAY_ID },
      body: JSON.stringify({
        group: groupId,
        records: [`${listed.records[0]!.partition}:${listed.records[0]!.offset}`],
      }),
    })
    assert.equal(replay.status, 200, await replay.clone().text())
    await waitFor(
      async () =>
        (await pool.query(`SELECT 1 FROM projections WHERE entity_id = 'cus_trace' AND version = 3`))
          .rowCount,
      { description: 'the replayed event projected' },
    )
    const handled = await waitFor(() =>
      linesWith(projector, 'correlationId', TRACE_ID).find((l) => l.msg === 'event handled'),
    )

    // Every service's lines for the delivery carry the one ID.
    const received = await lineWith(ingest, TRACE_ID, 'request completed')
    assert.equal(received.url, '/webhooks/acme')
    assert.equal(received.statusCode, 202)
    assert.equal(retried.eventId, eventId)
    assert.equal(retried.tier, DEFAULT_RETRY_TIERS[0]!.name)
    assert.equal(retried.level, 30, 'a retry is logged at info')
    const dead = await lineWith(projector, TRACE_ID, /^record moved to the DLQ/)
    assert.equal(dead.eventId, eventId)
    assert.equal(dead.failureKind, 'permanent')
    assert.equal(dead.level, 40)
    assert.equal(handled.eventId, eventId)
    assert.equal(handled.replayCorrelationId, REPLAY_ID)
    assert.match(String(handled.replayedFrom), new RegExp(`^${dlqTopicName(groupId)}/`))
    assert.equal(handled.level, 30, 'a replayed event handled is logged at info')
    const replayed = await lineWith(admin, TRACE_ID, 'DLQ record replayed to its original topic')
    assert.equal(replayed.eventId, eventId)
    assert.equal(replayed.replayCorrelationId, REPLAY_ID)
    assert.equal(
      replayed.actor,
      'bootstrap',
      'the actor is the token (LEDGER_ADMIN_TOKEN), never a body field',
    )
    // The replay request itself is logged under the ID it came with.
    const replayRequest = await lineWith(admin, REPLAY_ID, 'request completed')
    assert.equal(replayRequest.url, '/dlq/replay')

    // And every record of it in Kafka: the ledger topic (delivery and replay), the retry tier, the DLQ.
    const transport = createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'trace-test-reader' })
    const codec = new EnvelopeCodec({ url: stack.schemaRegistryUrl })
    const ofEvent = (records: IncomingRecord[]) =>
      records.filter((r) => r.headers[RECORD_HEADERS.eventId] === eventId)
    const ledger = ofEvent(await readTopic(transport, topic))
    const retry = ofEvent(await readTopic(transport, retryTopicName(groupId, DEFAULT_RETRY_TIERS[0]!)))
    const dlq = ofEvent(await readTopic(transport, dlqTopicName(groupId)))
    assert.equal(ledger.length, 2, 'the delivery and its replay')
    assert.equal(retry.length, 1)
    assert.equal(dlq.length, 1)
    for (const record of [...ledger, ...retry, ...dlq]) {
      assert.equal(record.headers[RECORD_HEADERS.correlationId], TRACE_ID, `header of ${record.topic}`)
      assert.equal((await codec.decode(record.value!)).correlationId, TRACE_ID, `envelope in ${record.topic}`)
    }
    const replayRecord = ledger.find((r) => r.headers[RECORD_HEADERS.replayedFrom] !== undefined)
    assert.equal(replayRecord?.headers[RECORD_HEADERS.replayCorrelationId], REPLAY_ID)

    // A reconciliation run: its corrective events carry the run's ID, through to the projector.
    fakes.stripe.records.create('customer', { name: 'Grace' })
    const started = await fetch(`${reconciler.url}/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${RECONCILER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'billing', entityType: 'customer' }),
    })
    assert.equal(started.status, 202, await started.clone().text())
    const { runId } = (await started.json()) as { runId: string }
    const repaired = await waitFor(
      () => linesWith(projector, 'correlationId', runId).find((l) => l.msg === 'event handled'),
      { description: 'the projector handling the run’s corrective event' },
    )
    const corrective = (await readTopic(transport, topic)).find(
      (r) => r.headers[RECORD_HEADERS.eventId] === repaired.eventId,
    )
    assert.equal(corrective?.headers[RECORD_HEADERS.correlationId], runId)
    const finished = await waitFor(() =>
      reconciler.lines.find(
        (l) => l.msg === 'reconciliation finished' && (l.report as { runId?: string }).runId === runId,
      ),
    )
    assert.equal((finished.report as { repairsPublished: number }).repairsPublished, 1)
  })
})
