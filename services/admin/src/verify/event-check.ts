import { LedgerError, findLedgerError } from '@integration-ledger/core'
import type { LedgerEventRow, ReadOutcome } from '@integration-ledger/ledger-reader'
import { type SourceConfig, auditEventSignature, parseSourceConfig } from '@integration-ledger/providers'
import type { SecretInfo, SourceStore, SourceWithSecretHistory } from '@integration-ledger/source-store'

/**
 * What re-checking one event found:
 * - `verified`: signed by a known secret, and the signed timestamp (if the kind signs one) is
 *   within the source's tolerance at the time judged;
 * - `timestamp_outside_tolerance`: signed by a known secret, but the timestamp is outside the
 *   tolerance at the time judged (expected when judging at another time than receipt);
 * - `signature_failed`: no secret the store knows signed these bytes: tampered, signed with a
 *   secret the store never had, or signature headers missing;
 * - `unreadable`: the Kafka record is gone, does not decode, or holds another event.
 */
export type CheckStatus = 'verified' | 'timestamp_outside_tolerance' | 'signature_failed' | 'unreadable'

/** A secret as reports show it: never its value. */
export interface SecretView {
  id: string
  /** The master key it is sealed under. */
  keyId: string
  /** When it was added: from then on the sender could sign with it. */
  activeFrom: string
  /** When it was retired; `null` while active. */
  retiredAt: string | null
}

export interface EventCheck {
  status: CheckStatus
  eventId: string
  source: string
  kind: string
  entity: { type: string; id: string; version: number }
  receivedAt: string
  kafka: LedgerEventRow['kafka']
  /** Every known secret that signed the event, newest first. */
  signedBy: SecretView[]
  /** The timestamp check: at which time it was judged and the result. */
  timestamp: {
    judgedAt: string
    result: 'within' | 'outside' | 'unsigned' | 'not_checked'
    signedAt?: string
  }
  /** What went wrong, worded for the operator; absent when verified. */
  message?: string
}

const view = (info: SecretInfo): SecretView => ({
  id: info.id,
  keyId: info.keyId,
  activeFrom: info.createdAt.toISOString(),
  retiredAt: info.retiredAt?.toISOString() ?? null,
})

/** A stored source with every secret it has had, ready to check events against. */
export interface AuditedSource {
  config: SourceConfig
  secrets: SecretInfo[]
}

/**
 * Loads a source and all its secrets (retired ones included) from the store and validates it with
 * the providers' schema, as ingest does, so events are checked with the verifier ingest used.
 * @throws LedgerError NOT_FOUND when the store has no such source (sources of the LEDGER_SOURCES
 * file and events published through the SDK or POST /events carry no provider signature it knows).
 */
export async function loadAuditedSource(store: SourceStore, name: string): Promise<AuditedSource> {
  let stored: SourceWithSecretHistory
  try {
    stored = await store.loadWithSecretHistory(name)
  } catch (err) {
    if (findLedgerError(err)?.code !== 'NOT_FOUND') throw err
    throw new LedgerError(
      'NOT_FOUND',
      `Source "${name}" is not in the source store, so its secrets are unknown here. Only sources created through the admin API can be re-verified; events published with the SDK or POST /events carry no provider signature.`,
      { cause: err },
    )
  }
  const config = parseSourceConfig(
    {
      ...stored.config,
      name: stored.name,
      kind: stored.kind,
      enabled: stored.enabled,
      secrets: stored.secrets.map((s) => s.value),
    },
    {},
    `stored source "${name}"`,
  )
  return { config, secrets: stored.secrets.map((s) => s.info) }
}

/**
 * Re-checks one event read from the ledger against every secret of its source, with the source's
 * verifier (`auditEventSignature`), judging the signed timestamp at `nowMs` (default: the event's
 * receipt time, the instant ingest judged it).
 */
export function checkEvent(outcome: ReadOutcome, source: AuditedSource, nowMs?: number): EventCheck {
  const { row } = outcome
  const judgedAt = nowMs ?? row.receivedAt.getTime()
  const base = {
    eventId: row.eventId,
    source: row.source,
    kind: source.config.kind,
    entity: { type: row.entityType, id: row.entityId, version: row.entityVersion },
    receivedAt: row.receivedAt.toISOString(),
    kafka: row.kafka,
  }
  if (!outcome.ok) {
    return {
      ...base,
      status: 'unreadable',
      signedBy: [],
      timestamp: { judgedAt: new Date(judgedAt).toISOString(), result: 'not_checked' },
      message: outcome.message,
    }
  }
  const audit = auditEventSignature(outcome.event, source.config, judgedAt)
  const signedBy = audit.signedBy.flatMap((i) => {
    const info = source.secrets[i]
    return info ? [view(info)] : []
  })
  const timestamp: EventCheck['timestamp'] = {
    judgedAt: new Date(judgedAt).toISOString(),
    result: audit.timestamp ?? 'not_checked',
    ...(audit.timestampMs === undefined ? {} : { signedAt: new Date(audit.timestampMs).toISOString() }),
  }
  if (signedBy.length === 0) {
    return {
      ...base,
      status: 'signature_failed',
      signedBy,
      timestamp,
      message:
        `${audit.failure?.reason ?? 'bad_signature'}: none of the ${source.secrets.length} secret(s) the store has for "${row.source}" (active and retired) signed this event. ${audit.failure?.message ?? ''}`.trim(),
    }
  }
  if (audit.timestamp === 'outside') {
    return {
      ...base,
      status: 'timestamp_outside_tolerance',
      signedBy,
      timestamp,
      message: `Correctly signed, but the signed timestamp${timestamp.signedAt ? ` (${timestamp.signedAt})` : ''} is more than the source's tolerance away from ${timestamp.judgedAt}.`,
    }
  }
  return { ...base, status: 'verified', signedBy, timestamp }
}
