import { createHash } from 'node:crypto'
import { type LedgerEvent, isEntityVersion, parseStorableJson } from '@integration-ledger/core'

/** Where a record was read from: stored with the ledger row so the byte-exact original can be found. */
export interface KafkaPosition {
  topic: string
  partition: number
  offset: string
}

/** An event checked and prepared for the ledger table. */
export interface LedgerRecord {
  event: LedgerEvent
  /** The body as JSON text, handed to PostgreSQL as jsonb without a parse/serialise round trip. */
  payloadJson: string
  /** SHA-256 of the byte-exact body, hex; decides duplicate versus conflict at equal versions. */
  payloadSha256: string
  position: KafkaPosition
}

export type RecordCheck = { ok: true; record: LedgerRecord } | { ok: false; reason: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Checks what the database would otherwise reject for the whole batch, so that one bad record
 * is set aside alone instead of failing its neighbours.
 */
export function toLedgerRecord(event: LedgerEvent, position: KafkaPosition): RecordCheck {
  if (!UUID.test(event.eventId)) return { ok: false, reason: `eventId "${event.eventId}" is not a UUID` }
  if (event.entityType === '' || event.entityId === '') {
    return { ok: false, reason: 'entityType and entityId must not be empty' }
  }
  if (!isEntityVersion(event.entityVersion)) {
    return { ok: false, reason: `entityVersion ${event.entityVersion} is not a non-negative integer` }
  }
  // The rule ingest quarantines by: what it accepted is stored here, BOM included.
  const json = parseStorableJson(event.rawBody)
  if (!json.ok) {
    return {
      ok: false,
      reason:
        json.problem === 'not_json'
          ? `body of ${event.contentType} is not JSON; projections store JSON state`
          : json.message,
    }
  }
  return {
    ok: true,
    record: {
      event,
      payloadJson: json.text,
      payloadSha256: createHash('sha256').update(event.rawBody).digest('hex'),
      position,
    },
  }
}
