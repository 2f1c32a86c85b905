import { createHmac, randomBytes } from 'node:crypto'
import type { Clock } from '@integration-ledger/core'
import { FixedWindowQuota, SlidingWindowLimiter } from '../server/limits.js'
import type { FakeReply, FakeRequest, ProviderHandler } from '../server/types.js'
import { type DeliveryOutcome, type WebhookTarget, WebhookSender } from '../server/webhook-sender.js'
import {
  type DeliveryDraft,
  type GithubSizes,
  GithubStore,
  type RepositoryRef,
  type Thread,
} from './store.js'
import { deliveryItem, issueView, pullView, repositoryView } from './views.js'

/** Options of the GitHub fake. */
export interface GithubFakeOptions {
  /** Tokens accepted as `Authorization: Bearer …` or `token …`. @default ['ghp_fakeLedger000000000000000000000000'] */
  tokens?: string[]
  /** @default 'acme/widgets' */
  repository?: string
  /** The repository webhook whose deliveries are served. @default 424242 */
  hookId?: number
  /** Primary limit per token per hour, or false for none. @default 5000 */
  requestsPerHour?: number | false
  /**
   * Secondary limits per token, or false for none: concurrent requests, and points per minute
   * (GET 1 point, other methods 5). @default { maxConcurrent: 100, pointsPerMinute: 900, retryAfterSeconds: 60 }
   */
  secondaryLimit?: { maxConcurrent: number; pointsPerMinute: number; retryAfterSeconds: number } | false
  /**
   * Where the webhook of every change, and every redelivery, is POSTed, signed with
   * `X-Hub-Signature-256` as GitHub signs them, its outcome recorded in the deliveries log. Without
   * it deliveries are recorded as answered 200 and nothing is sent.
   */
  webhook?: WebhookTarget
  sizes?: GithubSizes
}

/** The token the fake accepts unless told otherwise. */
export const DEFAULT_GITHUB_TOKEN = 'ghp_fakeLedger000000000000000000000000'

const DOCS = 'https://docs.github.com/rest'
const RATE_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'

class GithubApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly documentationUrl = DOCS,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }

  reply(): FakeReply {
    return {
      status: this.status,
      headers: this.headers,
      body: { message: this.message, documentation_url: this.documentationUrl, status: String(this.status) },
    }
  }
}

/**
 * GitHub's REST API for one repository: issues (pull requests included, with their
 * `pull_request` key), pulls, and the webhook deliveries API, with `Link` pagination and the
 * `x-ratelimit-*` headers on every authenticated answer.
 */
export class GithubHandler implements ProviderHandler {
  readonly name = 'github' as const
  readonly records: GithubStore
  readonly repo: RepositoryRef
  readonly hookId: number
  private readonly tokens: Set<string>
  private readonly quota: FixedWindowQuota | undefined
  private readonly points: SlidingWindowLimiter | undefined
  private readonly secondary: GithubFakeOptions['secondaryLimit']
  private readonly inFlight = new Map<string, number>()
  private readonly overConcurrency = new WeakSet<FakeRequest>()
  private readonly sender = new WebhookSender()
  private webhook: WebhookTarget | undefined
  private api = 'http://127.0.0.1'

  constructor(
    seed: number,
    private readonly clock: Clock,
    options: GithubFakeOptions = {},
  ) {
    const [owner = 'acme', name = 'widgets'] = (options.repository ?? 'acme/widgets').split('/')
    this.repo = { owner, name, id: 1_296_269 }
    this.hookId = options.hookId ?? 424242
    this.tokens = new Set(options.tokens ?? [DEFAULT_GITHUB_TOKEN])
    const perHour = options.requestsPerHour ?? 5000
    this.quota = perHour === false ? undefined : new FixedWindowQuota(perHour, 3600_000, clock)
    this.secondary = options.secondaryLimit ?? {
      maxConcurrent: 100,
      pointsPerMinute: 900,
      retryAfterSeconds: 60,
    }
    this.points =
      this.secondary === false
        ? undefined
        : new SlidingWindowLimiter(this.secondary.pointsPerMinute, 60_000, clock)
    this.records = new GithubStore(seed, options.sizes ?? {}, clock)
    this.records.payloadFor = (thread, action) => this.payload(thread, action)
    this.setWebhookTarget(options.webhook)
  }

  /** Called once the server's origin is known, so that URLs in objects point at the fake. */
  seed(api: string): void {
    this.api = api
    this.records.seed()
  }

  /** Sends redeliveries to `target` from now on (undefined: record them without sending). */
  setWebhookTarget(target: WebhookTarget | undefined): void {
    this.webhook = target
    this.records.deliver = target === undefined ? undefined : (draft, done) => this.send(draft, done)
  }

  /** Resolves when every webhook sent so far (changes and redeliveries) has been answered or given up. */
  async settled(): Promise<void> {
    await this.sender.settled()
  }

  begin(req: FakeRequest): () => void {
    const token = this.token(req)
    if (token === undefined || this.secondary === false) return () => {}
    const now = (this.inFlight.get(token) ?? 0) + 1
    this.inFlight.set(token, now)
    if (this.secondary !== undefined && now > this.secondary.maxConcurrent) this.overConcurrency.add(req)
    return () => this.inFlight.set(token, (this.inFlight.get(token) ?? 1) - 1)
  }

  commonHeaders(): Record<string, string> {
    return {
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
    }
  }

  statusReply(_req: FakeRequest, status: number): FakeReply {
    const message =
      status >= 500 ? 'Server Error' : status === 429 ? 'Too Many Requests' : `Scripted ${status}`
    return new GithubApiError(status, message).reply()
  }

  /** GitHub's secondary-limit answer: 403 with `retry-after`. */
  rateLimitedReply(_req: FakeRequest, retryAfterSeconds: number | undefined): FakeReply {
    return this.secondaryLimited(
      retryAfterSeconds ?? (this.secondary === false ? 60 : (this.secondary?.retryAfterSeconds ?? 60)),
    )
  }

  handle(req: FakeRequest): FakeReply {
    const rateHeaders: Record<string, string> = {}
    try {
      const token = this.authenticate(req)
      if (req.url.pathname === '/rate_limit') return this.rateLimit(token)
      if (this.quota !== undefined) {
        const state = this.quota.take(token)
        Object.assign(rateHeaders, {
          'x-ratelimit-limit': String(this.quota.limit),
          'x-ratelimit-remaining': String(state.remaining),
          'x-ratelimit-used': String(state.used),
          'x-ratelimit-reset': String(Math.ceil(state.resetAtMs / 1000)),
          'x-ratelimit-resource': 'core',
        })
        if (!state.allowed) {
          throw new GithubApiError(403, `API rate limit exceeded for user ID 1.`, RATE_DOCS)
        }
      }
      if (this.overConcurrency.has(req)) {
        return withHeaders(
          this.secondaryLimited(this.secondary === false ? 60 : (this.secondary?.retryAfterSeconds ?? 60)),
          rateHeaders,
        )
      }
      const cost = req.method === 'GET' || req.method === 'HEAD' ? 1 : 5
      const decision = this.points?.take(token, cost)
      if (decision !== undefined && !decision.allowed) {
        return withHeaders(this.secondaryLimited(Math.ceil(decision.retryAfterMs / 1000)), rateHeaders)
      }
      return withHeaders(this.route(req), rateHeaders)
    } catch (err) {
      if (err instanceof GithubApiError) return withHeaders(err.reply(), rateHeaders)
      throw err
    }
  }

  private secondaryLimited(retryAfterSeconds: number): FakeReply {
    return new GithubApiError(
      403,
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
      `${RATE_DOCS}#about-secondary-rate-limits`,
      { 'retry-after': String(retryAfterSeconds) },
    ).reply()
  }

  private token(req: FakeRequest): string | undefined {
    const match = /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    return match?.[1]
  }

  private authenticate(req: FakeRequest): string {
    if (req.headers['authorization'] === undefined) throw new GithubApiError(401, 'Requires authentication')
    const token = this.token(req)
    if (token === undefined || !this.tokens.has(token)) throw new GithubApiError(401, 'Bad credentials')
    return token
  }

  private rateLimit(token: string): FakeReply {
    const limit = this.quota?.limit ?? 0
    const state = this.quota?.peek(token)
    const core = {
      limit,
      used: state?.used ?? 0,
      remaining: limit - (state?.used ?? 0),
      reset: Math.ceil((state?.resetAtMs ?? this.clock.now()) / 1000),
    }
    return { status: 200, body: { resources: { core }, rate: core } }
  }

  private route(req: FakeRequest): FakeReply {
    const parts = req.url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const [root, owner, name, resource, ...rest] = parts
    if (
      root !== 'repos' ||
      owner?.toLowerCase() !== this.repo.owner.toLowerCase() ||
      name?.toLowerCase() !== this.repo.name.toLowerCase()
    ) {
      throw new GithubApiError(404, 'Not Found')
    }
    const route = `${req.method} ${resource ?? ''}/${rest.length}`
    switch (route) {
      case 'GET issues/0':
        return this.listThreads(req, 'issues')
      case 'GET pulls/0':
        return this.listThreads(req, 'pulls')
      case 'GET issues/1':
        return this.getThread(rest[0], 'issues')
      case 'GET pulls/1':
        return this.getThread(rest[0], 'pulls')
    }
    if (resource === 'hooks' && rest[0] === String(this.hookId) && rest[1] === 'deliveries') {
      if (req.method === 'GET' && rest.length === 2) return this.listDeliveries(req)
      if (req.method === 'GET' && rest.length === 3) return this.getDelivery(rest[2])
      if (req.method === 'POST' && rest.length === 4 && rest[3] === 'attempts') return this.redeliver(rest[2])
    }
    throw new GithubApiError(404, 'Not Found')
  }

  private listThreads(req: FakeRequest, endpoint: 'issues' | 'pulls'): FakeReply {
    const q = req.url.searchParams
    const state = q.get('state') ?? 'open'
    if (!['open', 'closed', 'all'].includes(state)) throw validation(`state must be one of open, closed, all`)
    const sort = q.get('sort') ?? 'created'
    const sorts =
      endpoint === 'issues'
        ? ['created', 'updated', 'comments']
        : ['created', 'updated', 'popularity', 'long-running']
    if (!sorts.includes(sort)) throw validation(`sort must be one of ${sorts.join(', ')}`)
    // Issues default to descending; pulls only when sorted by creation.
    const direction = q.get('direction') ?? (endpoint === 'issues' || sort === 'created' ? 'desc' : 'asc')
    if (direction !== 'asc' && direction !== 'desc') throw validation('direction must be asc or desc')
    let since: number | undefined
    if (endpoint === 'issues' && q.get('since') !== null) {
      since = Date.parse(q.get('since') ?? '')
      if (Number.isNaN(since)) throw validation(`since must be an ISO 8601 timestamp, got ${q.get('since')}`)
    }
    const selected = this.records.threads.filter(
      (t) =>
        !t.deleted &&
        (endpoint === 'issues' || t.kind === 'pull') &&
        (state === 'all' || t.state === state) &&
        (since === undefined || t.updatedAt * 1000 >= since),
    )
    const key = (t: Thread): number =>
      sort === 'updated'
        ? t.updatedAt
        : sort === 'comments' || sort === 'popularity'
          ? t.comments
          : sort === 'long-running'
            ? -t.createdAt
            : t.createdAt
    selected.sort((a, b) => (key(a) - key(b) || a.number - b.number) * (direction === 'asc' ? 1 : -1))
    const { page, perPage, link } = this.paginate(req, selected.length)
    const items = selected.slice((page - 1) * perPage, page * perPage)
    const view = endpoint === 'issues' ? issueView : pullView
    return {
      status: 200,
      headers: link === undefined ? {} : { link },
      body: items.map((t) => view(t, this.repo, this.api)),
    }
  }

  private getThread(number: string | undefined, endpoint: 'issues' | 'pulls'): FakeReply {
    const thread = this.records.find(Number(number))
    if (thread === undefined || (endpoint === 'pulls' && thread.kind !== 'pull'))
      throw new GithubApiError(404, 'Not Found')
    if (thread.deleted) throw new GithubApiError(410, 'This issue was deleted')
    const view = endpoint === 'issues' ? issueView : pullView
    return { status: 200, body: view(thread, this.repo, this.api) }
  }

  /** `page`/`per_page` (default 30, capped at 100) and the `Link` header GitHub sends. */
  private paginate(
    req: FakeRequest,
    total: number,
  ): { page: number; perPage: number; link: string | undefined } {
    const perPage = Math.min(
      100,
      Math.max(1, Number.parseInt(req.url.searchParams.get('per_page') ?? '30', 10) || 30),
    )
    const page = Math.max(1, Number.parseInt(req.url.searchParams.get('page') ?? '1', 10) || 1)
    const last = Math.max(1, Math.ceil(total / perPage))
    const url = (p: number): string => {
      const u = new URL(req.url)
      u.searchParams.set('page', String(p))
      return `<${u.toString()}>`
    }
    const links: string[] = []
    if (page > 1) links.push(`${url(Math.min(page - 1, last))}; rel="prev"`)
    if (page < last) links.push(`${url(page + 1)}; rel="next"`, `${url(last)}; rel="last"`)
    if (page > 1) links.push(`${url(1)}; rel="first"`)
    return { page, perPage, link: links.length === 0 ? undefined : links.join(', ') }
  }

  /** Newest first; `cursor` names the first delivery of the page, as GitHub's `Link` gives it. */
  private listDeliveries(req: FakeRequest): FakeReply {
    const q = req.url.searchParams
    const perPage = Math.min(100, Math.max(1, Number.parseInt(q.get('per_page') ?? '30', 10) || 30))
    const redelivery = q.get('redelivery')
    const all = [...this.records.deliveries]
      .reverse()
      .filter((d) => redelivery === null || String(d.redelivery) === redelivery)
    let start = 0
    const cursor = q.get('cursor')
    if (cursor !== null) {
      const id = /^v1_(\d+)$/.exec(cursor)?.[1]
      if (id === undefined) throw validation(`Invalid cursor: ${cursor}`)
      start = all.findIndex((d) => d.id <= Number(id))
      if (start === -1) start = all.length
    }
    const page = all.slice(start, start + perPage)
    const next = all[start + perPage]
    const headers: Record<string, string> = {}
    if (next !== undefined) {
      const u = new URL(req.url)
      u.searchParams.set('cursor', `v1_${next.id}`)
      headers['link'] = `<${u.toString()}>; rel="next"`
    }
    return { status: 200, headers, body: page.map((d) => deliveryItem(d, this.repo)) }
  }

  private getDelivery(id: string | undefined): FakeReply {
    const delivery = this.records.deliveries.find((d) => String(d.id) === id)
    if (delivery === undefined) throw new GithubApiError(404, 'Not Found')
    return {
      status: 200,
      body: {
        ...deliveryItem(delivery, this.repo),
        url: this.webhook?.url ?? 'https://hooks.example.com/github',
        request: {
          headers: this.deliveryHeaders(delivery, JSON.stringify(delivery.payload), undefined),
          payload: delivery.payload,
        },
        response: { headers: {}, payload: null },
      },
    }
  }

  /** 202 at once; the attempt is made afterwards and appended to the log, as GitHub does it. */
  private redeliver(id: string | undefined): FakeReply {
    const original = this.records.deliveries.find((d) => String(d.id) === id)
    if (original === undefined) throw new GithubApiError(404, 'Not Found')
    const draft: DeliveryDraft = {
      guid: original.guid,
      event: original.event,
      action: original.action,
      payload: original.payload,
    }
    if (this.webhook === undefined) this.records.appendDelivery(draft, undefined, true)
    else this.send(draft, (outcome) => this.records.appendDelivery(draft, outcome, true))
    return { status: 202, body: {}, operation: 'delivery.redeliver' }
  }

  private send(draft: DeliveryDraft, done: (outcome: DeliveryOutcome) => void): void {
    const target = this.webhook
    if (target === undefined) return
    const body = JSON.stringify(draft.payload)
    this.sender.send(target.url, this.deliveryHeaders(draft, body, target.secret), body, done)
  }

  private deliveryHeaders(
    delivery: DeliveryDraft,
    body: string,
    secret: string | undefined,
  ): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/fake',
      'x-github-delivery': delivery.guid,
      'x-github-event': delivery.event,
      'x-github-hook-id': String(this.hookId),
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': String(this.repo.id),
    }
    if (secret !== undefined)
      headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
    return headers
  }

  /** The `issues` / `pull_request` event payload for a change, as the webhook would carry it. */
  private payload(thread: Thread, action: string): Record<string, unknown> {
    const repository = repositoryView(this.repo, this.api)
    const sender = { login: thread.user, type: 'User' }
    if (thread.kind === 'pull') {
      return {
        action,
        number: thread.number,
        pull_request: pullView(thread, this.repo, this.api),
        repository,
        sender,
      }
    }
    return { action, issue: issueView(thread, this.repo, this.api), repository, sender }
  }
}

function validation(message: string): GithubApiError {
  return new GithubApiError(422, `Validation Failed: ${message}`)
}

function withHeaders(reply: FakeReply, headers: Record<string, string>): FakeReply {
  return { ...reply, headers: { ...headers, ...reply.headers } }
}
