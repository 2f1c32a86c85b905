import type { EntityRef } from '@integration-ledger/providers'

/** One remote object as the reconciler compares it: the provider's entity key, its version and body. */
export interface RemoteRecord {
  entityType: string
  entityId: string
  /** The version the webhook path would give this state (see the source's TSDoc for how it is derived). */
  version: number
  /** The provider's object as it answered. */
  state: unknown
}

/** One page of a listing. */
export interface RemotePage {
  records: RemoteRecord[]
  /** Opaque; `undefined` on the last page. */
  nextCursor?: string
}

/** What a source has cost so far, for the run report. */
export interface RemoteStats {
  /** HTTP attempts sent (retries included). */
  requests: number
  /** Attempts that waited for the rate limit or a provider's Retry-After before being sent. */
  throttleWaits: number
  throttleWaitMs: number
}

/**
 * A provider's records of one account, as the reconciler reads them: a thin glue over one of the
 * providers package's API adapters per source kind (`remote/<provider>-<type>.ts`).
 */
export interface RemoteSource {
  /** One page of `entityType` records, from `cursor` (`undefined`: the first page). */
  listPage(
    entityType: string,
    cursor: string | undefined,
    options: { since?: Date; signal?: AbortSignal },
  ): Promise<RemotePage>
  /** One record by ID, or `'missing'` when the provider no longer has it (404, or a deleted stub). */
  retrieve(entityType: string, entityId: string): Promise<RemoteRecord | 'missing'>
  /** Requests and throttle waits since the source was built. */
  stats?(): RemoteStats
}

/**
 * How a projection's stored state compares with a remote object: which fields are compared when
 * versions agree, and how to find the provider object inside the state (a webhook stores the whole
 * event, a corrective event the object itself).
 */
export interface EntityComparison {
  fields: readonly string[]
  localObject(state: unknown): Record<string, unknown> | undefined
}

/** A remote record from an adapter's item: its entity key and version as the webhook path derives them. */
export function remoteRecord(entity: EntityRef, state: unknown): RemoteRecord {
  return { entityType: entity.entityType, entityId: entity.entityId, version: entity.entityVersion, state }
}

/**
 * The provider object inside a projection's state: at `path` when the state is a webhook event
 * wrapping it (Stripe's `data.object`, GitHub's `issue`), else the state itself (a corrective
 * event stores the object as it is).
 */
export function providerObjectIn(
  state: unknown,
  path: readonly string[],
): Record<string, unknown> | undefined {
  if (state === null || typeof state !== 'object') return undefined
  let inner: unknown = state
  for (const key of path)
    inner = inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>)[key] : undefined
  return inner !== null && typeof inner === 'object'
    ? (inner as Record<string, unknown>)
    : (state as Record<string, unknown>)
}
