// Helpers shared by the projector's end-to-end tests and its benchmark: a reproducible storm of
// events with an oracle, publishing through the real SDK publisher, and checks against PostgreSQL.
import assert from 'node:assert/strict'
import type { LedgerEvent } from '@integration-ledger/core'
import {
  DEFAULT_RETRY_TIERS,
  EnvelopeCodec,
  LedgerPublisher,
  buildEvent,
  createKafkajsTransport,
  declareTopology,
  dlqTopicName,
  retryTopicName,
} from '@integration-ledger/sdk'
import {
  createTestDatabase,
  seededRandom,
  serviceEnv,
  stackEnv,
  uniqueName,
  waitFor,
  type CleanupHost,
  type StackEnv,
} from '@integration-ledger/testing'
import type pg from 'pg'

export interface StormOptions {
  entities: number
  /** Distinct events per entity (versions 1..n). */
  versions: number
  /** Share of extra re-sends of already-listed events (same event ID), e.g. 0.3. */
  duplicateRatio: number
  /** @default 42 */
  seed?: number
}

export interface Storm {
  /** What to publish, shuffled, duplicates included. */
  events: LedgerEvent[]
  /** entity ID → the event with the highest version. */
  oracle: Map<string, LedgerEvent>
  distinctEventIds: Set<string>
}

/** Source name of storm events: the event ID is derived from it and the provider event ID. */
export const STORM_SOURCE = 'storm'

/**
 * Version `version` of account `entityId` as a storm event: body `{ id, version, balance }`,
 * provider event ID `<entityId>_v<version>`.
 */
export function stormEvent(entityId: string, version: number, balance: number): LedgerEvent {
  return buildEvent({
    source: STORM_SOURCE,
    providerEventId: `${entityId}_v${version}`,
    type: 'account.updated',
    entityType: 'account',
    entityId,
    entityVersion: version,
    payload: { id: entityId, version, balance },
  })
}

/** Builds `entities × versions` distinct events plus re-sends, shuffled, and the oracle. */
export function makeStorm(options: StormOptions): Storm {
  const rand = seededRandom(options.seed ?? 42)
  const distinct: LedgerEvent[] = []
  const oracle = new Map<string, LedgerEvent>()
  for (let e = 0; e < options.entities; e++) {
    const entityId = `ent_${e}`
    for (let v = 1; v <= options.versions; v++) {
      const event = stormEvent(entityId, v, Math.floor(rand() * 1_000_000))
      distinct.push(event)
      if (v === options.versions) oracle.set(entityId, event)
    }
  }
  const resends = Math.round(distinct.length * options.duplicateRatio)
  const events = [...distinct]
  for (let i = 0; i < resends; i++) events.push(distinct[Math.floor(rand() * distinct.length)]!)
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[events[i], events[j]] = [events[j]!, events[i]!]
  }
  return { events, oracle, distinctEventIds: new Set(distinct.map((e) => e.eventId)) }
}

/** Creates the topic (and the group's retry/DLQ topics) and deletes them when the test ends. */
export async function ensureTestTopics(
  t: CleanupHost,
  stack: StackEnv,
  topic: string,
  groupId: string,
): Promise<void> {
  const admin = createKafkajsTransport({ brokers: stack.kafkaBrokers }).admin()
  await admin.connect()
  const specs = declareTopology({ eventTopics: [topic], consumerGroups: [groupId] })
  const created = await admin.ensureTopics(specs)
  await admin.disconnect()
  t.after(async () => {
    const cleaner = createKafkajsTransport({ brokers: stack.kafkaBrokers }).admin()
    await cleaner.connect()
    await cleaner.deleteTopics(created.filter((name) => name !== 'ledger.quarantine')).catch(() => {})
    await cleaner.disconnect()
  })
}

export interface ProjectorFixture {
  stack: StackEnv
  topic: string
  groupId: string
  databaseUrl: string
  /** The projector's environment (`loadProjectorConfig` or a child process) for this fixture. */
  env: Record<string, string>
}

/**
 * A unique topic and consumer group (created now, deleted after the test), a database (a fresh
 * one on the shared server unless `databaseUrl` is given) and the projector's environment for them.
 */
export async function projectorFixture(
  t: CleanupHost,
  name: string,
  options: { databaseUrl?: string; stack?: StackEnv } = {},
): Promise<ProjectorFixture> {
  const stack = options.stack ?? stackEnv()
  const topic = uniqueName(`${name}.events`).replaceAll('_', '.')
  const groupId = uniqueName(`${name}-projector`)
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase(t, stack.databaseUrl))
  await ensureTestTopics(t, stack, topic, groupId)
  const env = {
    ...serviceEnv(databaseUrl, stack),
    PROJECTOR_TOPICS: topic,
    PROJECTOR_GROUP_ID: groupId,
  }
  return { stack, topic, groupId, databaseUrl, env }
}

/** Publishes every event through `LedgerPublisher` (registry-encoded, acks=all), many in flight. */
export async function publishAll(
  stack: StackEnv,
  topic: string,
  events: readonly LedgerEvent[],
): Promise<void> {
  const publisher = await LedgerPublisher.connect({
    transport: createKafkajsTransport({ brokers: stack.kafkaBrokers, clientId: 'projector-test-publisher' }),
    codec: new EnvelopeCodec({ url: stack.schemaRegistryUrl }),
    defaultTopic: topic,
  })
  try {
    const inFlight = 2000
    for (let i = 0; i < events.length; i += inFlight) {
      await Promise.all(events.slice(i, i + inFlight).map((event) => publisher.publish(event)))
    }
  } finally {
    await publisher.close()
  }
}

/**
 * Publishes the first half of the storm and waits until the projector has recorded it, so a fault
 * injected next hits a consumer in the middle of the stream. Returns the second half.
 */
export async function publishFirstHalf(
  stack: StackEnv,
  topic: string,
  storm: Storm,
  pool: pg.Pool,
): Promise<LedgerEvent[]> {
  const half = Math.floor(storm.events.length / 2)
  const before = storm.events.slice(0, half)
  await publishAll(stack, topic, before)
  const distinct = new Set(before.map((e) => e.eventId)).size
  await waitFor(async () => (await ledgerCount(pool)) >= distinct, { description: 'the first half applied' })
  return storm.events.slice(half)
}

/** Number of rows in the ledger table, for `waitFor`. */
export async function ledgerCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_events')
  return rows[0]?.n ?? 0
}

/**
 * Every projection equals the oracle (highest version, its event ID and body) and every distinct
 * event is in the ledger exactly once.
 */
export async function assertMatchesOracle(pool: pg.Pool, storm: Storm): Promise<void> {
  const { rows: ledger } = await pool.query<{ event_id: string; n: number }>(
    'SELECT event_id, count(*)::int AS n FROM ledger_events GROUP BY event_id',
  )
  assert.equal(ledger.length, storm.distinctEventIds.size, 'one ledger row per distinct event')
  assert(
    ledger.every((r) => r.n === 1 && storm.distinctEventIds.has(r.event_id)),
    'each event exactly once',
  )
  await assertProjectionsMatch(pool, storm.oracle)
}

/**
 * Every projection equals the oracle: one row per entity, at the highest version, holding that
 * event's ID and body. The ledger check is the caller's (a soak's million rows are counted in SQL).
 */
export async function assertProjectionsMatch(
  pool: pg.Pool,
  oracle: ReadonlyMap<string, LedgerEvent>,
): Promise<void> {
  const { rows: projections } = await pool.query<{
    entity_id: string
    version: string
    last_event_id: string
    state: unknown
  }>('SELECT entity_id, version, last_event_id, state FROM projections')
  assert.equal(projections.length, oracle.size, 'one projection per entity')
  for (const row of projections) {
    const expected = oracle.get(row.entity_id)
    assert(expected, `unexpected entity ${row.entity_id}`)
    assert.equal(Number(row.version), expected.entityVersion, `${row.entity_id} version`)
    assert.equal(row.last_event_id, expected.eventId, `${row.entity_id} last event`)
    assert.deepEqual(row.state, JSON.parse(expected.rawBody.toString('utf8')))
  }
  const { rows: applied } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger_events WHERE outcome = 'applied'`,
  )
  assert((applied[0]?.n ?? 0) >= oracle.size, 'at least one applied event per entity')
}

/** The group's retry topics and DLQ hold nothing: no record was parked because of an outage. */
export async function assertNothingParked(stack: StackEnv, groupId: string, why: string): Promise<void> {
  const admin = createKafkajsTransport({ brokers: stack.kafkaBrokers }).admin()
  await admin.connect()
  try {
    for (const parked of [
      dlqTopicName(groupId),
      ...DEFAULT_RETRY_TIERS.map((tier) => retryTopicName(groupId, tier)),
    ]) {
      const offsets = await admin.topicOffsets(parked)
      assert.deepEqual(
        offsets.filter((o) => o.high !== o.low),
        [],
        `${parked} stayed empty: ${why}`,
      )
    }
  } finally {
    await admin.disconnect()
  }
}
