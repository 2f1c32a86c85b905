import { type Clock, PermanentError } from '@integration-ledger/core'
import { SeededRandom } from '../random.js'
import type { RecordChangeOptions, RemoteRecords } from '../server/types.js'
import type { DeliveryOutcome } from '../server/webhook-sender.js'

/** How many records are seeded. */
export interface GithubSizes {
  /** Plain issues (not pull requests). @default 520 */
  issues?: number
  /** Pull requests; they share the issue number space and are listed by the issues endpoint too. @default 130 */
  pulls?: number
  /** Webhook deliveries in the hook's log, about a tenth of them failed. @default 200 */
  deliveries?: number
}

/** An issue or a pull request: one number, two REST views that share `updated_at`. */
export interface Thread {
  number: number
  kind: 'issue' | 'pull'
  issueId: number
  pullId: number
  title: string
  body: string
  state: 'open' | 'closed'
  stateReason: 'completed' | 'not_planned' | null
  user: string
  labels: string[]
  comments: number
  createdAt: number
  updatedAt: number
  closedAt: number | null
  mergedAt: number | null
  draft: boolean
  headSha: string
  deleted: boolean
  [field: string]: unknown
}

/** What a delivery sends, before it is attempted. */
export interface DeliveryDraft {
  guid: string
  event: string
  action: string | null
  payload: Record<string, unknown>
}

/** One attempt to deliver a webhook, as the deliveries API lists it. */
export interface Delivery {
  id: number
  guid: string
  deliveredAt: number
  redelivery: boolean
  duration: number
  status: string
  statusCode: number
  event: string
  action: string | null
  payload: Record<string, unknown>
}

const LOGINS = ['octocat', 'hubot', 'monalisa', 'defunkt', 'mojombo', 'pjhyett']
const LABELS = ['bug', 'enhancement', 'documentation', 'good first issue', 'question']
const FAILURES = [
  { status: 'Invalid HTTP Response: 503', statusCode: 503 },
  { status: 'Invalid HTTP Response: 502', statusCode: 502 },
  { status: 'failed to connect to host', statusCode: 0 },
  { status: 'timed out', statusCode: 0 },
]

/** What a rendered view needs: the fake's API origin and the repository's names. */
export interface RepositoryRef {
  owner: string
  name: string
  id: number
}

/**
 * A repository's issues and pull requests and its webhook's delivery log. Each change moves
 * `updated_at` on by at least a second (the webhook path's version, 1 s resolution) and appends a
 * delivery of the matching `issues`/`pull_request` event.
 */
export class GithubStore implements RemoteRecords {
  readonly types = ['issue', 'pull']
  readonly threads: Thread[] = []
  readonly deliveries: Delivery[] = []
  private readonly random: SeededRandom
  private nextDeliveryId = 12_077_215_000
  /** Renders a payload for a delivery; set by the handler, which knows the API origin. */
  payloadFor: (thread: Thread, action: string) => Record<string, unknown> = () => ({})
  /**
   * Sends a change's webhook and reports the outcome; set by the handler while a webhook target
   * is configured. Without it a change's delivery is recorded as answered 200.
   */
  deliver: ((draft: DeliveryDraft, done: (outcome: DeliveryOutcome) => void) => void) | undefined

  constructor(
    seed: number,
    private readonly sizes: GithubSizes,
    private readonly clock: Clock,
  ) {
    this.random = new SeededRandom(seed ^ 0x617b)
  }

  /** Generates the seeded data; after `payloadFor` is set, so seeded deliveries carry payloads. */
  seed(): void {
    const now = this.nowSeconds()
    const issues = this.sizes.issues ?? 520
    const pulls = this.sizes.pulls ?? 130
    const total = issues + pulls
    const span = 365 * 86400
    let pullsLeft = pulls
    for (let n = 1; n <= total; n++) {
      const isPull = pullsLeft > 0 && (this.random.chance(pulls / total) || total - n < pullsLeft)
      if (isPull) pullsLeft--
      const created = now - span + Math.floor(((n - 1 + this.random.next()) * span) / total) - 60
      const updated = this.random.chance(0.5)
        ? created + Math.floor(this.random.next() * Math.min(60 * 86400, now - created))
        : created
      this.threads.push(this.build(n, isPull ? 'pull' : 'issue', created, updated))
    }
    const recent = [...this.threads]
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, this.sizes.deliveries ?? 200)
    for (const thread of recent.reverse()) {
      const failure = this.random.chance(0.1) ? this.random.pick(FAILURES) : undefined
      const draft = this.draft(thread, thread.updatedAt === thread.createdAt ? 'opened' : 'edited')
      this.appendDelivery(draft, failure, false, thread.updatedAt)
    }
  }

  get(type: string, id: string): Record<string, unknown> | undefined {
    const thread = this.find(Number(id))
    return thread === undefined || thread.kind !== checkType(type) ? undefined : thread
  }

  find(number: number): Thread | undefined {
    return this.threads[number - 1]
  }

  create(type: string, fields: Record<string, unknown> = {}, options: RecordChangeOptions = {}): Thread {
    const now = this.nowSeconds()
    const thread = {
      ...this.build(this.threads.length + 1, checkType(type), now, now),
      ...fields,
      number: this.threads.length + 1,
    }
    this.threads.push(thread)
    this.announce(thread, 'opened', options)
    return thread
  }

  update(
    type: string,
    id: string,
    patch: Record<string, unknown> = {},
    options: RecordChangeOptions = {},
  ): Thread {
    const thread = this.live(type, id)
    const closing = patch['state'] === 'closed' && thread.state === 'open'
    Object.assign(thread, patch, { number: thread.number, kind: thread.kind })
    thread.updatedAt = Math.max(this.nowSeconds(), thread.updatedAt + 1)
    if (closing) thread.closedAt = thread.updatedAt
    if (Object.keys(patch).length === 0) thread.comments++
    this.announce(thread, closing ? 'closed' : 'edited', options)
    return thread
  }

  /** Issues can be deleted (GET answers 410 Gone); pull requests cannot, so they are closed instead. */
  remove(type: string, id: string, options: RecordChangeOptions = {}): void {
    const thread = this.live(type, id)
    if (thread.kind === 'pull') {
      this.update(type, id, { state: 'closed' }, options)
      return
    }
    thread.deleted = true
    this.announce(thread, 'deleted', options)
  }

  /** Records one delivery attempt; `outcome` undefined means answered 200. */
  appendDelivery(
    draft: DeliveryDraft,
    outcome: DeliveryOutcome | undefined,
    redelivery: boolean,
    at = this.nowSeconds(),
  ): Delivery {
    const delivery: Delivery = {
      ...draft,
      id: (this.nextDeliveryId += this.random.int(1, 40)),
      deliveredAt: at,
      redelivery,
      duration: Math.round(this.random.next() * 500) / 1000,
      status: outcome?.status ?? 'OK',
      statusCode: outcome?.statusCode ?? 200,
    }
    this.deliveries.push(delivery)
    return delivery
  }

  nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000)
  }

  /** The change's delivery: sent when a target is set, failed when told it was not delivered. */
  private announce(thread: Thread, action: string, options: RecordChangeOptions): void {
    const draft = this.draft(thread, action)
    if (options.webhookDelivered === false) this.appendDelivery(draft, FAILURES[0], false)
    else if (this.deliver === undefined) this.appendDelivery(draft, undefined, false)
    else this.deliver(draft, (outcome) => this.appendDelivery(draft, outcome, false))
  }

  /** The payload is a snapshot taken now, as GitHub's is taken when the event happens. */
  private draft(thread: Thread, action: string): DeliveryDraft {
    return {
      guid: uuidFrom(this.random),
      event: thread.kind === 'pull' ? 'pull_request' : 'issues',
      action,
      payload: this.payloadFor(thread, action),
    }
  }

  private live(type: string, id: string): Thread {
    const thread = this.find(Number(id))
    if (thread === undefined || thread.deleted || thread.kind !== checkType(type)) {
      throw new PermanentError('NOT_FOUND', `The fake GitHub repository has no ${type} #${id}.`)
    }
    return thread
  }

  private build(number: number, kind: 'issue' | 'pull', created: number, updated: number): Thread {
    const random = this.random
    const closed = updated > created && random.chance(0.45)
    return {
      number,
      kind,
      issueId: 1_800_000_000 + number * 7 + random.int(0, 6),
      pullId: 1_500_000_000 + number * 5 + random.int(0, 4),
      title: `${kind === 'pull' ? 'Fix' : 'Investigate'} ${random.pick(['flaky', 'slow', 'broken', 'missing'])} ${random.pick(['build', 'login', 'export', 'search', 'webhooks'])} (#${number})`,
      body: `Seeded ${kind} ${number}.`,
      state: closed ? 'closed' : 'open',
      stateReason: closed && kind === 'issue' ? random.pick(['completed', 'not_planned'] as const) : null,
      user: random.pick(LOGINS),
      labels: random.chance(0.5) ? [random.pick(LABELS)] : [],
      comments: random.int(0, 12),
      createdAt: created,
      updatedAt: updated,
      closedAt: closed ? updated : null,
      mergedAt: closed && kind === 'pull' && random.chance(0.8) ? updated : null,
      draft: kind === 'pull' && random.chance(0.1),
      headSha: random.hex(40),
      deleted: false,
    }
  }
}

function checkType(type: string): 'issue' | 'pull' {
  if (type === 'issue' || type === 'pull') return type
  throw new PermanentError('VALIDATION_FAILED', `The fake GitHub has no type "${type}"; use issue or pull.`)
}

function uuidFrom(random: SeededRandom): string {
  const h = random.hex(32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
