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
 * A provider's records of one account, as the reconciler reads them. The providers package's API
 * adapters satisfy it through a thin glue; `StripeCustomersSource` is the stand-in until then.
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
