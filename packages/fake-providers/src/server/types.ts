import type { IncomingHttpHeaders } from 'node:http'

/** The three providers the fakes speak for. */
export type ProviderName = 'stripe' | 'shopify' | 'github'

/** A request as a provider fake sees it: the body is read whole before the fake answers. */
export interface FakeRequest {
  readonly method: string
  /** Absolute, with this fake's origin, so answers can carry absolute links (GitHub `Link`). */
  readonly url: URL
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** A fake's answer; `body` is sent as JSON unless it is undefined. */
export interface FakeReply {
  status: number
  headers?: Record<string, string>
  body?: unknown
  /**
   * Set when handling the request changed remote state (a create, an update, a redelivery): the
   * request log counts these, so a test can assert that a retried POST was performed once.
   */
  operation?: string
  /** True when the answer is a stored one replayed for a reused idempotency key. */
  replayed?: boolean
}

/** The provider-specific part of a fake server. */
export interface ProviderHandler {
  readonly name: ProviderName
  /** Answer one API request (auth, limits and data are the provider's business). */
  handle(req: FakeRequest): Promise<FakeReply> | FakeReply
  /** The provider's own error body for an injected status (5xx storm, a scripted 429). */
  statusReply(req: FakeRequest, status: number): FakeReply
  /** The provider's own over-the-limit answer: Stripe 429, GitHub secondary-limit 403, Shopify THROTTLED. */
  rateLimitedReply(req: FakeRequest, retryAfterSeconds: number | undefined): FakeReply
  /** Headers the provider puts on every answer, errors included (request IDs, rate-limit state). */
  commonHeaders(req: FakeRequest): Record<string, string>
  /** Called when a request arrives; the returned function when it has been answered or dropped. */
  begin?(req: FakeRequest): () => void
  /** Remote records a test or the control API may create, change and delete. */
  readonly records: RemoteRecords
}

/** How a change to a remote record is announced. */
export interface RecordChangeOptions {
  /**
   * Whether the provider's webhook for the change was delivered. False leaves a Stripe event with
   * `pending_webhooks: 1` (listed by `delivery_success=false`) and a failed GitHub hook delivery;
   * Shopify keeps no delivery log its API shows. @default true
   */
  webhookDelivered?: boolean
}

/** Create, change and delete remote records behind a fake's back, as a person in the provider's dashboard would. */
export interface RemoteRecords {
  /** The record types this provider accepts, e.g. `customer`, `order`, `issue`. */
  readonly types: readonly string[]
  /** Creates a record of `type`; fields not given are generated. Returns the stored object. */
  create(
    type: string,
    fields?: Record<string, unknown>,
    options?: RecordChangeOptions,
  ): Record<string, unknown>
  /** Shallow-merges `patch` into the record and moves its version on. Returns the stored object. */
  update(
    type: string,
    id: string,
    patch?: Record<string, unknown>,
    options?: RecordChangeOptions,
  ): Record<string, unknown>
  /** Deletes the record (Stripe customers become `deleted: true` stubs, as Stripe keeps them). */
  remove(type: string, id: string, options?: RecordChangeOptions): void
  /** The stored object, or undefined. */
  get(type: string, id: string): Record<string, unknown> | undefined
}
