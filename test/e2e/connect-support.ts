// The peer a user would pick instead of the projector, as `npm run bench:connect` and the
// stale-overwrite test run it: the Debezium JDBC sink connector on a Kafka Connect worker,
// upserting the same events into PostgreSQL, keyed by entity ID.
//
// Record format: a topic of its own, key the entity ID as a plain string (StringConverter: the
// same key bytes as the envelope topic, so an entity lands on the same partition number of either
// topic; the upsert key is the value's entity_id), value JSON with an inline schema (JsonConverter, schemas.enable=true). JSON with schemas
// because the JDBC sink needs a typed value (Struct) to derive columns and upsert, and it needs no
// extra jars or registry: the Confluent Avro converter is not on Maven Central, and Apicurio's own
// converter would add a second serde stack to the worker. The value carries what the projection
// keeps: entity ID and type, version, event ID, the body as JSON (`io.debezium.data.Json`, a json column),
// and `arrival`, the record's place among its entity's records on the topic, so a reader can tell
// when the last record of every entity has been written.
import type { LedgerEvent } from '@integration-ledger/core'
import type { StackEnv } from '@integration-ledger/testing'
import { Kafka, logLevel } from 'kafkajs'

/** The connector's table in its own database. */
export const SINK_TABLE = 'connect_projections'

interface SinkRecord {
  key: string
  value: string
}

const VALUE_SCHEMA = {
  type: 'struct',
  name: 'ledger.ConnectProjection',
  optional: false,
  fields: [
    { field: 'entity_id', type: 'string', optional: false },
    { field: 'entity_type', type: 'string', optional: false },
    { field: 'version', type: 'int64', optional: false },
    { field: 'event_id', type: 'string', optional: false },
    { field: 'arrival', type: 'int32', optional: false },
    { field: 'state', type: 'string', optional: false, name: 'io.debezium.data.Json' },
  ],
}

/**
 * The events as the connector's records, in the same order, and for each entity how many records
 * it has (the `arrival` of its last one).
 */
export function toSinkRecords(events: readonly LedgerEvent[]): {
  records: SinkRecord[]
  arrivals: Map<string, number>
} {
  const arrivals = new Map<string, number>()
  const records = events.map((event) => {
    const arrival = (arrivals.get(event.entityId) ?? 0) + 1
    arrivals.set(event.entityId, arrival)
    const payload = {
      entity_id: event.entityId,
      entity_type: event.entityType,
      version: event.entityVersion,
      event_id: event.eventId,
      arrival,
      state: event.rawBody.toString('utf8'),
    }
    return { key: event.entityId, value: JSON.stringify({ schema: VALUE_SCHEMA, payload }) }
  })
  return { records, arrivals }
}

/**
 * Creates `topic` (6 partitions, as the ledger's event topics) and produces `records` in order:
 * one batch after another, acks=all, so each partition holds them in array order.
 * @returns a function that deletes the topic
 */
export async function produceSinkRecords(
  stack: StackEnv,
  topic: string,
  records: readonly SinkRecord[],
): Promise<() => Promise<void>> {
  const kafka = new Kafka({
    brokers: stack.kafkaBrokers,
    clientId: 'connect-bench',
    logLevel: logLevel.NOTHING,
  })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    topics: [{ topic, numPartitions: 6, replicationFactor: stack.kafkaReplicationFactor }],
    waitForLeaders: true,
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    for (let i = 0; i < records.length; i += 2000) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + 2000) })
    }
  } finally {
    await producer.disconnect()
  }
  return async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await admin.disconnect()
  }
}

/** How the JDBC sink is configured beyond its topic and database. */
export interface JdbcSinkOptions {
  /** @default 2 */
  tasks?: number
  /** Records per JDBC batch, and the consumer's max.poll.records. @default 2000 */
  batchSize?: number
  /**
   * `use.reduction.buffer`: within a batch, write only the last record of each key (fewer rows,
   * the same last-write-wins outcome). Off by default, as in the connector.
   * @default false
   */
  reductionBuffer?: boolean
}

/** The connector's database URL as JDBC takes it (host, port, database; user apart). */
function jdbcUrl(databaseUrl: string): { url: string; user: string } {
  const url = new URL(databaseUrl)
  return {
    url: `jdbc:postgresql://${url.hostname}:${url.port || 5432}${url.pathname}`,
    user: decodeURIComponent(url.username) || 'postgres',
  }
}

/**
 * Creates the Debezium JDBC sink on `workerUrl`: upsert keyed by entity ID into
 * SINK_TABLE, created by the connector from the value schema. Waits until every task runs.
 * @returns a function that deletes the connector
 */
export async function createJdbcSink(
  workerUrl: string,
  name: string,
  target: { topic: string; databaseUrl: string },
  options: JdbcSinkOptions = {},
): Promise<() => Promise<void>> {
  const { tasks = 2, batchSize = 2000, reductionBuffer = false } = options
  const jdbc = jdbcUrl(target.databaseUrl)
  const config = {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': String(tasks),
    topics: target.topic,
    'connection.url': jdbc.url,
    'connection.username': jdbc.user,
    'connection.password': '',
    'insert.mode': 'upsert',
    // The value's entity_id: this sink takes only a Struct key for record_key, and the key stays a
    // plain string so it partitions as the envelope topic does.
    'primary.key.mode': 'record_value',
    'primary.key.fields': 'entity_id',
    'schema.evolution': 'basic',
    'collection.name.format': SINK_TABLE,
    'batch.size': String(batchSize),
    'use.reduction.buffer': String(reductionBuffer),
    'consumer.override.max.poll.records': String(batchSize),
    'consumer.override.auto.offset.reset': 'earliest',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'true',
  }
  const put = await fetch(`${workerUrl}/connectors/${name}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  })
  if (!put.ok) throw new Error(`creating connector ${name}: HTTP ${put.status} ${await put.text()}`)
  const remove = async () => {
    await fetch(`${workerUrl}/connectors/${name}`, { method: 'DELETE' }).catch(() => {})
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    const status = (await (await fetch(`${workerUrl}/connectors/${name}/status`)).json()) as {
      connector?: { state: string; trace?: string }
      tasks?: { state: string; trace?: string }[]
    }
    const failed = [status.connector, ...(status.tasks ?? [])].find((s) => s?.state === 'FAILED')
    if (failed) throw new Error(`connector ${name} failed: ${failed.trace ?? 'no trace'}`)
    if (status.tasks?.length === tasks && status.tasks.every((s) => s.state === 'RUNNING')) return remove
    if (Date.now() > deadline)
      throw new Error(`connector ${name} not running after 60 s: ${JSON.stringify(status)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** State of a connector's tasks, for a wait loop that should stop early on a failed task. */
export async function failedTaskTrace(workerUrl: string, name: string): Promise<string | undefined> {
  const status = (await (await fetch(`${workerUrl}/connectors/${name}/status`)).json()) as {
    tasks?: { state: string; trace?: string }[]
  }
  return status.tasks?.find((s) => s.state === 'FAILED')?.trace
}
