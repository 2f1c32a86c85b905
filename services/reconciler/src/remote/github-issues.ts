import type { GithubApi, GithubThreadItem } from '@integration-ledger/providers'
import type { CallStats } from './call-stats.js'
import {
  type EntityComparison,
  type RemotePage,
  type RemoteRecord,
  type RemoteSource,
  type RemoteStats,
  providerObjectIn,
  remoteRecord,
} from './remote-source.js'

export interface GithubIssuesSourceOptions {
  api: GithubApi
  /** The calls of the API's client, for the run report. */
  calls: CallStats
  /** `owner/repo`, the prefix of every entity ID (`owner/repo#number`). */
  repository: string
  /** @default 100 (GitHub's maximum) */
  pageSize?: number
}

/**
 * A repository's issues as a `RemoteSource`, over the providers package's `GithubApi`, whose
 * entity mapping is the webhook path's own (`githubEntityOf`): ID `owner/repo#number`, version
 * `updated_at` in ms, exactly what an `issues` delivery of the same state gives. No override is
 * needed (unlike Stripe, a GitHub issue carries its own version).
 *
 * The issues endpoint lists pull requests too; they are the `pull_request` entity type (their
 * webhooks carry the PR view, not this one), so they are left out of an `issue` scan. The walk is
 * `state=all`, sorted by `updated` descending; `--since` is GitHub's `since` (updated at or after),
 * so a windowed run sees every change in the window. The cursor is GitHub's `Link: rel="next"`.
 */
export class GithubIssuesSource implements RemoteSource {
  readonly #api: GithubApi
  readonly #calls: CallStats
  readonly #prefix: string
  readonly #pageSize: number

  constructor(options: GithubIssuesSourceOptions) {
    this.#api = options.api
    this.#calls = options.calls
    this.#prefix = `${options.repository}#`
    this.#pageSize = options.pageSize ?? 100
  }

  async listPage(
    entityType: string,
    cursor: string | undefined,
    options: { since?: Date; signal?: AbortSignal },
  ): Promise<RemotePage> {
    assertIssue(entityType)
    const walk = this.#api.issues({
      perPage: this.#pageSize,
      ...(cursor === undefined ? {} : { resumeFrom: cursor }),
      ...(options.since === undefined ? {} : { since: options.since }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
    // One page per call: the engine saves its checkpoint between pages.
    const next = await walk.next()
    await walk.return(undefined)
    if (next.done === true) return { records: [] }
    const page = next.value
    return {
      records: page.items.filter((i) => i.entity.entityType === 'issue').map(toRecord),
      ...(page.next === undefined ? {} : { nextCursor: page.next }),
    }
  }

  /** `GET …/issues/:number`; gone (404, 410 deleted, 301 transferred) or now a pull request → `'missing'`. */
  async retrieve(entityType: string, entityId: string): Promise<RemoteRecord | 'missing'> {
    assertIssue(entityType)
    const number = entityId.startsWith(this.#prefix) ? Number(entityId.slice(this.#prefix.length)) : NaN
    if (!Number.isInteger(number) || number <= 0) {
      throw new Error(`GithubIssuesSource: "${entityId}" is not an issue of ${this.#prefix.slice(0, -1)}`)
    }
    const item = await this.#api.issue(number)
    return item === undefined || item.entity.entityType !== 'issue' || item.entity.entityId !== entityId
      ? 'missing'
      : toRecord(item)
  }

  stats(): RemoteStats {
    return this.#calls.snapshot()
  }
}

/**
 * Compared when versions agree: what people change on an issue. The local state is the `issues`
 * delivery's payload (`issue` inside) or, after a repair, the issue itself.
 */
export const githubIssueComparison: EntityComparison = {
  fields: ['title', 'body', 'state', 'state_reason', 'labels', 'assignees', 'milestone', 'locked'],
  localObject: (state) => providerObjectIn(state, ['issue']),
}

const toRecord = (item: GithubThreadItem): RemoteRecord => remoteRecord(item.entity, item.thread)

function assertIssue(entityType: string): void {
  if (entityType !== 'issue') throw new Error(`GithubIssuesSource lists issues only, not "${entityType}"`)
}
