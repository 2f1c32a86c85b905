import {
  type AmbiguousReason,
  type Answer,
  type AttemptRecord,
  type OutboundClient,
  type OutboundRequest,
  outboundErrorFor,
} from '@integration-ledger/outbound'
import { z } from 'zod'
import { entityRefOf } from '../api/entity.js'
import { ProviderAnswerInvalidError, parseAnswer } from '../api/errors.js'
import type { EntityRef } from '../extraction/extraction-result.js'
import { parseIsoMs } from '../extraction/values.js'
import { githubEntityOf } from './extract.js'

const threadSchema = z.looseObject({
  id: z.number().int(),
  number: z.number().int().positive(),
  updated_at: z.string().min(1),
  pull_request: z.unknown().optional(),
})
const deliverySchema = z.looseObject({
  id: z.number().int(),
  guid: z.string().min(1),
  delivered_at: z.string().min(1),
  redelivery: z.boolean(),
  status: z.string(),
  status_code: z.number().int(),
  event: z.string().min(1),
  action: z.string().nullable().optional(),
})
const deliveryDetailSchema = deliverySchema.extend({
  request: z.looseObject({
    headers: z.record(z.string(), z.string()),
    payload: z.record(z.string(), z.unknown()).nullable(),
  }),
})

/** Answers of a single-issue GET that mean this repository no longer has the issue. */
const GONE_STATUSES: ReadonlySet<number> = new Set([301, 404, 410])

/** An issue or pull request as listed (every field kept), with its projection entity. */
export interface GithubThreadItem {
  thread: z.output<typeof threadSchema>
  entity: EntityRef
}

/** One webhook delivery of the deliveries log. */
export type GithubDelivery = z.output<typeof deliverySchema>

/** One delivery with the request GitHub sent (headers and payload), for re-reading a failed one. */
export type GithubDeliveryDetail = z.output<typeof deliveryDetailSchema>

/** One page of a walk. */
export interface GithubPage<T> {
  items: T[]
  /**
   * The next page's address as GitHub's `Link: rel="next"` gives it (a path below the base URL),
   * or undefined on the last page. Store it after each page; pass it as `resumeFrom` to continue.
   */
  next: string | undefined
}

/** Options of an issues or pulls walk. */
export interface GithubThreadListOptions {
  /** Only threads updated at or after this instant (issues endpoint only). */
  since?: Date | string
  /** @default 'all' */
  state?: 'open' | 'closed' | 'all'
  /** @default 100 (GitHub's maximum) */
  perPage?: number
  /** A page's `next`, to continue an interrupted walk. */
  resumeFrom?: string
  signal?: AbortSignal
}

/** What became of a redelivery request. */
export type RedeliveryResult =
  | { kind: 'requested' }
  /**
   * No clear answer after the request was sent: GitHub may have queued the redelivery. It was not
   * repeated (GitHub takes no idempotency key); call `findRedelivery(deliveryGuid, requestedAtMs)`
   * to learn whether it happened before asking again.
   */
  | { kind: 'ambiguous'; reason: AmbiguousReason; attempts: AttemptRecord[] }

/** Options of `GithubApi`. */
export interface GithubApiOptions {
  /** A client built on `githubPolicy` (`derivePolicy(githubPolicy, { baseUrl })` for GitHub Enterprise or a fake). */
  client: OutboundClient
  /** Which stored credential (token) pays for the calls. */
  credentialId: string
  owner: string
  repo: string
}

/** Whether a delivery failed: an HTTP error status, or anything but `OK` (no connection, timeout). */
export function isFailedDelivery(delivery: Pick<GithubDelivery, 'status' | 'status_code'>): boolean {
  return delivery.status_code >= 400 || delivery.status !== 'OK'
}

/**
 * Reads one GitHub repository through the outbound client: issues and pull requests with `Link`
 * pagination and `since`, and one repository webhook's deliveries log with redelivery requests.
 * Answers are validated at this boundary (`ProviderAnswerInvalidError`).
 *
 * **Entity mapping.** Through `githubEntityOf`, the function the webhook path uses: a thread is
 * `owner/repo#number`, a pull request (an issues-endpoint item with `pull_request`, or a pulls
 * item) has type `pull_request`, an issue `issue`; the version is `updated_at` in ms, as webhooks
 * carry it, so a scan and a delivery of the same state agree on all three.
 *
 * Walks are sorted by `updated` descending: a thread changed during the walk moves to the front,
 * so later pages repeat an item rather than skip one. The changed thread itself is then behind the
 * walk; its webhook, or the next walk from `since`, brings it.
 */
export class GithubApi {
  readonly #client: OutboundClient
  readonly #credentialId: string
  readonly #base: string
  readonly #repoName: string

  constructor(options: GithubApiOptions) {
    this.#client = options.client
    this.#credentialId = options.credentialId
    this.#repoName = `${options.owner}/${options.repo}`
    this.#base = `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}`
  }

  /** Walks the issues endpoint: issues and pull requests, each mapped like its webhook. */
  async *issues(options: GithubThreadListOptions = {}): AsyncGenerator<GithubPage<GithubThreadItem>> {
    const since = options.since instanceof Date ? options.since.toISOString() : options.since
    yield* this.#threads('issues.list', `${this.#base}/issues`, 'issue', options, {
      ...(since === undefined ? {} : { since }),
    })
  }

  /**
   * One issue by number (`GET …/issues/:number`), mapped like `issues()`; a pull request's number
   * answers its issue view, as a `pull_request` entity. `undefined` when the repository no longer
   * has it: 404 (unknown, or not visible to the token), 410 (deleted; GitHub answers Gone to a
   * reader of the repository) or 301 (transferred to another repository; not followed, since it
   * is another repository's issue then).
   */
  async issue(number: number, signal?: AbortSignal): Promise<GithubThreadItem | undefined> {
    const operation = 'issues.get'
    const result = await this.#client.send(
      this.#request(operation, { path: `${this.#base}/issues/${number}` }, signal),
    )
    const { outcome } = result
    // The client follows no redirect, so a 301 arrives as an answer of its own.
    if (
      (outcome.kind === 'rejected' || outcome.kind === 'succeeded') &&
      GONE_STATUSES.has(outcome.answer.status)
    )
      return undefined
    if (outcome.kind !== 'succeeded') throw outboundErrorFor(result)
    const thread = parseAnswer(threadSchema, outcome.answer.body, this.#call(operation))
    return { thread, entity: this.#entity('issue', thread, operation) }
  }

  /** Walks the pulls endpoint (PR view: `head`, `base`, `merged_at`); takes no `since`. */
  async *pulls(
    options: Omit<GithubThreadListOptions, 'since'> = {},
  ): AsyncGenerator<GithubPage<GithubThreadItem>> {
    yield* this.#threads('pulls.list', `${this.#base}/pulls`, 'pull_request', options, {})
  }

  /** Walks a repository webhook's deliveries, newest first, with GitHub's cursor. */
  async *deliveries(
    hookId: number,
    options: { perPage?: number; resumeFrom?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<GithubPage<GithubDelivery>> {
    const operation = 'hook-deliveries.list'
    const first = {
      path: `${this.#base}/hooks/${hookId}/deliveries`,
      query: { per_page: options.perPage ?? 100 },
    }
    for await (const { answer, next } of this.#walk(operation, first, options)) {
      yield { items: parseAnswer(z.array(deliverySchema), answer.body, this.#call(operation)), next }
    }
  }

  /** Walks the failed deliveries (see `isFailedDelivery`); pages may be empty. */
  async *failedDeliveries(
    hookId: number,
    options: { perPage?: number; resumeFrom?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<GithubPage<GithubDelivery>> {
    for await (const page of this.deliveries(hookId, options)) {
      yield { items: page.items.filter(isFailedDelivery), next: page.next }
    }
  }

  /** One delivery with the request GitHub sent, or `undefined` when GitHub no longer has it. */
  async delivery(
    hookId: number,
    deliveryId: number,
    signal?: AbortSignal,
  ): Promise<GithubDeliveryDetail | undefined> {
    const operation = 'hook-deliveries.get'
    const result = await this.#client.send(
      this.#request(operation, { path: `${this.#base}/hooks/${hookId}/deliveries/${deliveryId}` }, signal),
    )
    if (result.outcome.kind === 'rejected' && result.outcome.answer.status === 404) return undefined
    if (result.outcome.kind !== 'succeeded') throw outboundErrorFor(result)
    return parseAnswer(deliveryDetailSchema, result.outcome.answer.body, this.#call(operation))
  }

  /**
   * Asks GitHub to send a delivery again (`POST …/deliveries/:id/attempts`). GitHub takes no
   * idempotency key, so the client never repeats this request after it was sent: an ambiguous
   * outcome (connection lost, timeout, 5xx) is returned as `ambiguous` for the caller to resolve
   * with `findRedelivery`. Refusals (404, 422, credentials, rate limit) throw the typed error.
   */
  async redeliver(hookId: number, deliveryId: number, signal?: AbortSignal): Promise<RedeliveryResult> {
    const result = await this.#client.send({
      ...this.#request(
        'hook-deliveries.redeliver',
        { path: `${this.#base}/hooks/${hookId}/deliveries/${deliveryId}/attempts` },
        signal,
      ),
      method: 'POST',
    })
    if (result.outcome.kind === 'succeeded') return { kind: 'requested' }
    if (result.outcome.kind === 'ambiguous') {
      return { kind: 'ambiguous', reason: result.outcome.reason, attempts: result.attempts }
    }
    throw outboundErrorFor(result)
  }

  /**
   * The redelivery of `guid` made at or after `sinceMs`, if the log shows one: how the caller
   * resolves an ambiguous `redeliver`. Reads the log newest first and stops at older deliveries.
   * `sinceMs` should allow for the clock difference with GitHub (GitHub stamps whole seconds).
   */
  async findRedelivery(
    hookId: number,
    guid: string,
    sinceMs: number,
    signal?: AbortSignal,
  ): Promise<GithubDelivery | undefined> {
    const since = Math.floor(sinceMs / 1000) * 1000
    for await (const page of this.deliveries(hookId, signal === undefined ? {} : { signal })) {
      for (const delivery of page.items) {
        const at = parseIsoMs(delivery.delivered_at) ?? 0
        if (at < since) return undefined
        if (delivery.guid === guid && delivery.redelivery) return delivery
      }
    }
    return undefined
  }

  async *#threads(
    operation: string,
    path: string,
    key: 'issue' | 'pull_request',
    options: GithubThreadListOptions,
    extra: Record<string, string>,
  ): AsyncGenerator<GithubPage<GithubThreadItem>> {
    const query = {
      state: options.state ?? 'all',
      sort: 'updated',
      direction: 'desc',
      per_page: options.perPage ?? 100,
      ...extra,
    }
    for await (const { answer, next } of this.#walk(operation, { path, query }, options)) {
      const threads = parseAnswer(z.array(threadSchema), answer.body, this.#call(operation))
      yield {
        items: threads.map((thread) => ({ thread, entity: this.#entity(key, thread, operation) })),
        next,
      }
    }
  }

  #entity(
    key: 'issue' | 'pull_request',
    thread: z.output<typeof threadSchema>,
    operation: string,
  ): EntityRef {
    const found = githubEntityOf(key, thread, this.#repoName)
    return entityRefOf(
      {
        entityType: { value: found.type, from: 'the thread' },
        entityId: { value: found.id, from: found.idFrom },
        entityVersion: { value: parseIsoMs(found.updatedAt), from: found.updatedFrom },
      },
      this.#call(operation),
    )
  }

  /** Follows `Link: rel="next"` from `first` (or `resumeFrom`) until there is none. */
  async *#walk(
    operation: string,
    first: Pick<OutboundRequest, 'path' | 'query'>,
    options: { resumeFrom?: string; signal?: AbortSignal },
  ): AsyncGenerator<{ answer: Answer; next: string | undefined }> {
    let target: Pick<OutboundRequest, 'path' | 'query'> | undefined =
      options.resumeFrom === undefined ? first : { path: options.resumeFrom }
    while (target !== undefined) {
      const answer = await this.#client.request(this.#request(operation, target, options.signal))
      const next = this.#nextLink(answer, operation)
      yield { answer, next }
      target = next === undefined ? undefined : { path: next }
    }
  }

  /** The `rel="next"` link as a path below the base URL; a link elsewhere is refused. */
  #nextLink(answer: Answer, operation: string): string | undefined {
    const header = answer.headers['link']
    if (header === undefined) return undefined
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(header)
    if (match?.[1] === undefined) return undefined
    const base = new URL(this.#client.policy.baseUrl)
    const url = new URL(match[1], base)
    const basePath = base.pathname.replace(/\/$/, '')
    if (url.origin !== base.origin || !url.pathname.startsWith(`${basePath}/`)) {
      throw new ProviderAnswerInvalidError(this.#client.policy.name, operation, [
        'Link rel="next" points outside the API base URL',
      ])
    }
    return `${url.pathname.slice(basePath.length)}${url.search}`
  }

  #request(
    operation: string,
    target: Pick<OutboundRequest, 'path' | 'query'>,
    signal: AbortSignal | undefined,
  ): OutboundRequest {
    return {
      credentialId: this.#credentialId,
      operation,
      ...target,
      ...(signal === undefined ? {} : { signal }),
    }
  }

  #call(operation: string) {
    return { provider: this.#client.policy.name, operation }
  }
}
