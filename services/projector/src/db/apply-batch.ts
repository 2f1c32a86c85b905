import type { Outcome } from './migrate.js'
import type { LedgerRecord } from '../record.js'
import { UPSERT_NEWER_SQL } from '@integration-ledger/ledger-reader'

/**
 * The version rule as one statement: one round trip and one transaction per batch, whatever its
 * size. Records are judged as if handled one by one in the order given (Kafka offset order), so
 * an outcome never depends on where batch boundaries fell — which is also why a rebuild from the
 * ledger reproduces the live projection.
 *
 * For each record whose event ID is not in the ledger yet (`prior` = the higher of the stored
 * version and every earlier record of the same entity in this batch):
 *   no prior or version > prior → applied     version < prior → stale
 *   version = prior, same body hash as the holder of that version → duplicate, else → conflict
 * Event IDs already in the ledger, or repeated within the batch, are redeliveries: not appended.
 * The ledger rows and the projection change are one statement, hence one transaction.
 */
export const APPLY_BATCH_SQL = `
WITH input AS (
  SELECT * FROM unnest(
    $1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
    $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[], $12::jsonb[], $13::text[],
    $14::text[], $15::int[], $16::bigint[]
  ) WITH ORDINALITY AS x(event_id, source, provider_event_id, type, entity_type, entity_id,
    entity_version, occurred_at, received_at, correlation_id, content_type, payload, sha256_hex,
    kafka_topic, kafka_partition, kafka_offset, ord)
),
first_seen AS (
  SELECT DISTINCT ON (event_id) * FROM input ORDER BY event_id, ord
),
fresh AS (
  SELECT f.*, decode(f.sha256_hex, 'hex') AS payload_sha256 FROM first_seen f
   WHERE NOT EXISTS (SELECT 1 FROM ledger_events l WHERE l.event_id = f.event_id)
),
judged AS (
  SELECT f.*, p.version AS stored_version, p.state_sha256 AS stored_sha256,
         max(f.entity_version) OVER earlier AS earlier_max,
         first_value(f.payload_sha256) OVER (
           PARTITION BY f.entity_type, f.entity_id, f.entity_version ORDER BY f.ord) AS first_sha256_at_version
    FROM fresh f
    LEFT JOIN projections p ON p.entity_type = f.entity_type AND p.entity_id = f.entity_id
  WINDOW earlier AS (PARTITION BY f.entity_type, f.entity_id ORDER BY f.ord
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
classified AS (
  SELECT j.*,
         CASE
           WHEN prior IS NULL OR entity_version > prior THEN 'applied'
           WHEN entity_version < prior THEN 'stale'
           -- The holder of the prior version: the stored projection unless an earlier record of
           -- this batch went higher, in which case the first record that reached it.
           WHEN payload_sha256 = CASE WHEN earlier_max IS NULL OR stored_version >= earlier_max
                                      THEN stored_sha256 ELSE first_sha256_at_version END
             THEN 'duplicate'
           ELSE 'conflict'
         END AS outcome
    FROM (SELECT judged.*, greatest(stored_version, earlier_max) AS prior FROM judged) j
),
appended AS (
  INSERT INTO ledger_events (event_id, source, provider_event_id, type, entity_type, entity_id,
         entity_version, occurred_at, received_at, correlation_id, content_type, payload, payload_sha256,
         kafka_topic, kafka_partition, kafka_offset, outcome)
  SELECT event_id, source, provider_event_id, type, entity_type, entity_id, entity_version, occurred_at,
         received_at, correlation_id, content_type, payload, payload_sha256, kafka_topic, kafka_partition,
         kafka_offset, outcome
    FROM classified ORDER BY ord
  -- Only a concurrent writer of the same event can collide here; it already recorded it.
  ON CONFLICT (event_id) DO NOTHING
  RETURNING event_id, entity_type, entity_id, entity_version, payload, payload_sha256, outcome
),
projected AS (
  INSERT INTO projections AS p (entity_type, entity_id, version, last_event_id, state, state_sha256, updated_at)
  SELECT DISTINCT ON (entity_type, entity_id) entity_type, entity_id, entity_version, event_id, payload,
         payload_sha256, now()
    FROM appended WHERE outcome = 'applied'
   ORDER BY entity_type, entity_id, entity_version DESC
  ${UPSERT_NEWER_SQL}
  RETURNING 1
)
SELECT outcome, count(*)::int AS n FROM appended GROUP BY outcome
UNION ALL
SELECT 'projected', count(*)::int FROM projected`

/** The statement's parameters: one array per column, in the order of `APPLY_BATCH_SQL`. */
export function applyBatchParams(records: readonly LedgerRecord[]): unknown[] {
  const column = <T>(pick: (r: LedgerRecord) => T): T[] => records.map(pick)
  return [
    column((r) => r.event.eventId),
    column((r) => r.event.source),
    column((r) => r.event.providerEventId),
    column((r) => r.event.type),
    column((r) => r.event.entityType),
    column((r) => r.event.entityId),
    column((r) => String(r.event.entityVersion)),
    column((r) => r.event.occurredAt.toISOString()),
    column((r) => r.event.receivedAt.toISOString()),
    column((r) => r.event.correlationId),
    column((r) => r.event.contentType),
    column((r) => r.payloadJson),
    column((r) => r.payloadSha256),
    column((r) => r.position.topic),
    column((r) => r.position.partition),
    column((r) => r.position.offset),
  ]
}

/** What one batch did. `redelivered` counts records whose event ID was already recorded. */
export interface BatchOutcome {
  counts: Record<Outcome, number>
  redelivered: number
  /** Projection rows inserted or updated. */
  projected: number
}

/** Folds the statement's `(outcome, n)` rows into a `BatchOutcome`. */
export function toBatchOutcome(
  rows: readonly { outcome: string; n: number }[],
  submitted: number,
): BatchOutcome {
  const counts: Record<Outcome, number> = { applied: 0, stale: 0, duplicate: 0, conflict: 0 }
  let projected = 0
  for (const { outcome, n } of rows) {
    if (outcome === 'projected') projected = n
    else counts[outcome as Outcome] = n
  }
  const appended = counts.applied + counts.stale + counts.duplicate + counts.conflict
  return { counts, redelivered: submitted - appended, projected }
}
