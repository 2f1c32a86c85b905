import type { EntityComparison, RemoteRecord } from '../remote/remote-source.js'

/** The ways a projection and the provider's record can disagree. */
export const DRIFT_KINDS = [
  'missing-locally',
  'local-behind',
  'local-ahead',
  'content-differs',
  'missing-remotely',
] as const
export type DriftKind = (typeof DRIFT_KINDS)[number]

/** Safe to repair automatically: the provider's record is newer than anything the ledger applied. */
export const REPAIRABLE: ReadonlySet<DriftKind> = new Set(['missing-locally', 'local-behind'])

/** A projection row as the reconciler reads it. */
export interface LocalRow {
  entityId: string
  version: number
  state: unknown
  /** Set by a person's "accept remote", whose event carries a version above the provider's. */
  acceptedByPerson?: boolean
}

/**
 * Judges one remote record against its projection (`undefined`: none). Versions decide first; only
 * equal versions (or a person's accepted resolution) compare the declared fields. A projection that is a tombstone (an accepted remote
 * delete) against a live remote record is "local ahead": the record came back, a person decides.
 */
export function classify(
  remote: RemoteRecord,
  local: LocalRow | undefined,
  comparison: EntityComparison,
): DriftKind | undefined {
  if (local === undefined) return 'missing-locally'
  if (local.version < remote.version) return 'local-behind'
  // An accepted resolution is ahead by construction; it agrees while the content does.
  if (local.version > remote.version && local.acceptedByPerson !== true) return 'local-ahead'
  const mine = comparison.localObject(local.state)
  const theirs = remote.state as Record<string, unknown>
  if (mine === undefined) return 'content-differs'
  return comparison.fields.some((f) => canonical(mine[f]) !== canonical(theirs[f]))
    ? 'content-differs'
    : undefined
}

/** Whether a projection already records the entity as deleted (so a missing remote agrees). */
export function isTombstone(local: LocalRow, comparison: EntityComparison): boolean {
  return comparison.localObject(local.state)?.['deleted'] === true
}

/** JSON with sorted keys and `undefined` as `null`: jsonb does not keep key order. */
function canonical(value: unknown): string {
  if (value === undefined || value === null) return 'null'
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
