import { createHmac } from 'node:crypto'
import type { Clock } from '@integration-ledger/core'
import { SeededRandom } from '../random.js'
import { SlidingWindowLimiter } from '../server/limits.js'
import type { FakeReply, FakeRequest, ProviderHandler } from '../server/types.js'
import { type WebhookTarget, WebhookSender } from '../server/webhook-sender.js'
import type { StripeObject } from './collection.js'
import { type StripeParam, decodeStripeParams, fingerprint } from './params.js'
import {
  EVENT_RETENTION_SECONDS,
  STRIPE_API_VERSION,
  type StripeSizes,
  StripeStore,
  type StripeType,
} from './store.js'

/** Options of the Stripe fake. */
export interface StripeFakeOptions {
  /** Secret keys accepted (Bearer or Basic auth). @default ['sk_test_fake_ledger_0000000000000000'] */
  secretKeys?: string[]
  /**
   * Requests per second per account (Stripe's basic limiter), or false for none. @default 25 for
   * `sk_test_` keys (test mode), 100 for `sk_live_` keys
   */
  rateLimitPerSecond?: number | false
  /**
   * Where each new event (from a change through the API or the control API) is POSTed, signed
   * with `Stripe-Signature` (`t=…,v1=…`, HMAC-SHA256 keyed with the `whsec_…` secret). Its
   * `pending_webhooks` stays 1 until the receiver answers 2xx. Without it nothing is sent and
   * events count as delivered.
   */
  webhook?: WebhookTarget
  sizes?: StripeSizes
}

/** The secret key the fake accepts unless told otherwise. */
export const DEFAULT_STRIPE_SECRET_KEY = 'sk_test_fake_ledger_0000000000000000'

const COMMON_LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'created', 'expand']
const LIST_PARAMS: Record<StripeType | 'event', string[]> = {
  customer: ['email'],
  subscription: ['customer', 'status', 'price'],
  invoice: ['customer', 'status', 'subscription'],
  payment_intent: ['customer'],
  charge: ['customer', 'payment_intent'],
  event: ['type', 'types', 'delivery_success'],
}
const CUSTOMER_WRITE_PARAMS = ['name', 'email', 'description', 'phone', 'metadata', 'expand']
const SUBSCRIPTION_STATUSES = [
  'active',
  'past_due',
  'unpaid',
  'canceled',
  'incomplete',
  'incomplete_expired',
  'trialing',
  'paused',
  'ended',
  'all',
]

/** Stripe's error body, `{ error: { type, code?, message, param? } }`. */
class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: { code?: string; param?: string } = {},
  ) {
    super(message)
  }

  reply(): FakeReply {
    const error: Record<string, unknown> = { type: this.type, message: this.message, ...this.extra }
    if (this.extra.code !== undefined)
      error['doc_url'] = `https://stripe.com/docs/error-codes/${this.extra.code.replaceAll('_', '-')}`
    const headers: Record<string, string> =
      this.status === 401 ? { 'www-authenticate': 'Basic realm="Stripe"' } : {}
    return { status: this.status, headers, body: { error } }
  }
}

interface StoredAnswer {
  fingerprint: string
  reply: FakeReply
  at: number
}

/** Stripe prunes idempotency keys after 24 hours; a key reused later starts a new request. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600 * 1000

/**
 * The Stripe REST API (v1) over the seeded account: list, retrieve, events, and
 * `POST /v1/customers[/:id]` to exercise idempotency. Answers carry `Request-Id`.
 */
export class StripeHandler implements ProviderHandler {
  readonly name = 'stripe' as const
  readonly records: StripeStore
  private readonly keys: Set<string>
  private readonly limiter: { test: SlidingWindowLimiter; live: SlidingWindowLimiter } | undefined
  private readonly answers = new Map<string, StoredAnswer>()
  /** Idempotency keys of POSTs received and not yet answered, and the requests that arrived while one was. */
  private readonly keysInFlight = new Set<string>()
  private readonly concurrent = new WeakSet<FakeRequest>()
  private readonly random: SeededRandom
  private readonly sender = new WebhookSender()

  constructor(
    seed: number,
    private readonly clock: Clock,
    options: StripeFakeOptions = {},
  ) {
    this.records = new StripeStore(seed, options.sizes ?? {}, clock)
    this.keys = new Set(options.secretKeys ?? [DEFAULT_STRIPE_SECRET_KEY])
    this.random = new SeededRandom(seed ^ 0x5eed)
    const rate = options.rateLimitPerSecond
    this.limiter =
      rate === false
        ? undefined
        : {
            test: new SlidingWindowLimiter(rate ?? 25, 1000, clock),
            live: new SlidingWindowLimiter(rate ?? 100, 1000, clock),
          }
    this.setWebhookTarget(options.webhook)
  }

  /** Sends new events to `target` from now on (undefined: send nothing). */
  setWebhookTarget(target: WebhookTarget | undefined): void {
    this.records.deliver = target === undefined ? undefined : (event) => this.send(target, event)
  }

  /** Resolves when every webhook sent so far has been answered or given up. */
  async settled(): Promise<void> {
    await this.sender.settled()
  }

  private send(target: WebhookTarget, event: StripeObject): void {
    event['pending_webhooks'] = 1
    const body = JSON.stringify(event)
    const t = Math.floor(this.clock.now() / 1000)
    const signature = createHmac('sha256', target.secret).update(`${t}.${body}`).digest('hex')
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'stripe-signature': `t=${t},v1=${signature}`,
    }
    this.sender.send(target.url, headers, body, (outcome) => {
      if (outcome.statusCode >= 200 && outcome.statusCode <= 299) event['pending_webhooks'] = 0
    })
  }

  commonHeaders(req: FakeRequest): Record<string, string> {
    return {
      'request-id': this.requestId(),
      'stripe-version': headerValue(req, 'stripe-version') ?? STRIPE_API_VERSION,
    }
  }

  statusReply(_req: FakeRequest, status: number): FakeReply {
    if (status === 429) return this.rateLimitedReply()
    if (status >= 500)
      return new StripeApiError(status, 'api_error', 'An unknown error occurred on the fake Stripe.').reply()
    return new StripeApiError(
      status,
      'invalid_request_error',
      `The fake Stripe was scripted to answer ${status}.`,
    ).reply()
  }

  rateLimitedReply(): FakeReply {
    return new StripeApiError(
      429,
      'invalid_request_error',
      'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
      { code: 'rate_limit' },
    ).reply()
  }

  /**
   * A POST whose idempotency key is already held by a request still in progress (held by a slow
   * answer, say) is refused with 409 `idempotency_key_in_use`, as Stripe refuses it, rather than
   * run twice.
   */
  begin(req: FakeRequest): () => void {
    const key = headerValue(req, 'idempotency-key')
    if (req.method !== 'POST' || key === undefined) return () => {}
    const held = `${headerValue(req, 'authorization') ?? ''}\u0000${key}`
    if (this.keysInFlight.has(held)) {
      this.concurrent.add(req)
      return () => {}
    }
    this.keysInFlight.add(held)
    return () => this.keysInFlight.delete(held)
  }

  handle(req: FakeRequest): FakeReply {
    try {
      const key = this.authenticate(req)
      if (this.concurrent.has(req)) {
        throw new StripeApiError(
          409,
          'invalid_request_error',
          'There is currently another in-progress request using this idempotency key (that probably means you submitted twice, and the other request is still going through). Please try again later.',
          { code: 'idempotency_key_in_use' },
        )
      }
      const limiter = key.startsWith('sk_live_') ? this.limiter?.live : this.limiter?.test
      if (limiter !== undefined && !limiter.take('account').allowed) return this.rateLimitedReply()
      return this.route(req, key)
    } catch (err) {
      if (err instanceof StripeApiError) return err.reply()
      throw err
    }
  }

  private authenticate(req: FakeRequest): string {
    const header = headerValue(req, 'authorization')
    if (header === undefined) {
      throw new StripeApiError(
        401,
        'invalid_request_error',
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      )
    }
    const [scheme, credential = ''] = header.split(/\s+/, 2)
    let key = credential
    if (scheme?.toLowerCase() === 'basic')
      key = Buffer.from(credential, 'base64').toString('utf8').split(':')[0] ?? ''
    else if (scheme?.toLowerCase() !== 'bearer') key = ''
    if (!this.keys.has(key)) {
      throw new StripeApiError(401, 'invalid_request_error', `Invalid API Key provided: ${maskKey(key)}`)
    }
    return key
  }

  private route(req: FakeRequest, apiKey: string): FakeReply {
    const segments = req.url.pathname.split('/').filter(Boolean)
    const [version, resource, id, ...rest] = segments
    if (version === 'v1' && resource !== undefined && rest.length === 0) {
      const type = resource === 'events' ? 'event' : StripeStore.typeForPath(resource)
      if (type !== undefined && req.method === 'GET') {
        const query = decodeStripeParams(req.url.searchParams)
        return id === undefined ? this.list(type, query) : this.retrieve(type, id)
      }
      if (type === 'customer' && req.method === 'POST') return this.writeCustomer(req, apiKey, id)
    }
    throw new StripeApiError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${req.method}: ${req.url.pathname}). The fake Stripe serves GET /v1/{customers,subscriptions,invoices,payment_intents,charges,events}[/:id] and POST /v1/customers[/:id].`,
    )
  }

  private list(type: StripeType | 'event', params: Map<string, StripeParam>): FakeReply {
    checkKnown(params, [...COMMON_LIST_PARAMS, ...LIST_PARAMS[type]])
    const limit = parseLimit(params.get('limit'))
    const startingAfter = stringParam(params, 'starting_after')
    const endingBefore = stringParam(params, 'ending_before')
    if (startingAfter !== undefined && endingBefore !== undefined) {
      throw new StripeApiError(
        400,
        'invalid_request_error',
        'You may only specify one of these parameters: ending_before, starting_after.',
      )
    }
    const include = this.filterFor(type, params)
    const collection = type === 'event' ? this.records.events : this.records.collection(type)
    const page = collection.page({ limit, startingAfter, endingBefore, include })
    if (page === undefined) {
      const param = startingAfter === undefined ? 'ending_before' : 'starting_after'
      throw new StripeApiError(
        404,
        'invalid_request_error',
        `No such ${type}: '${startingAfter ?? endingBefore}'`,
        {
          code: 'resource_missing',
          param,
        },
      )
    }
    const path = type === 'event' ? 'events' : STRIPE_PATHS[type]
    return {
      status: 200,
      body: { object: 'list', data: page.data, has_more: page.hasMore, url: `/v1/${path}` },
    }
  }

  private retrieve(type: StripeType | 'event', id: string): FakeReply {
    const object = type === 'event' ? this.records.events.get(id) : this.records.get(type, id)
    if (object === undefined || (type === 'event' && object.created < this.eventCutoff())) {
      throw new StripeApiError(404, 'invalid_request_error', `No such ${type}: '${id}'`, {
        code: 'resource_missing',
        param: 'id',
      })
    }
    return { status: 200, body: object }
  }

  private writeCustomer(req: FakeRequest, apiKey: string, id: string | undefined): FakeReply {
    const params = decodeStripeParams(new URLSearchParams(req.body.toString('utf8')))
    checkKnown(params, CUSTOMER_WRITE_PARAMS)
    if (id !== undefined && this.records.get('customer', id) === undefined) {
      throw new StripeApiError(404, 'invalid_request_error', `No such customer: '${id}'`, {
        code: 'resource_missing',
        param: 'id',
      })
    }
    const idempotencyKey = headerValue(req, 'idempotency-key')
    const print = `${req.method} ${req.url.pathname} ${fingerprint(params)}`
    const storeKey = `${apiKey}\u0000${idempotencyKey}`
    if (idempotencyKey !== undefined) {
      this.pruneAnswers()
      const stored = this.answers.get(storeKey)
      if (stored !== undefined && stored.fingerprint !== print) {
        throw new StripeApiError(
          400,
          'idempotency_error',
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        )
      }
      if (stored !== undefined) {
        return {
          ...stored.reply,
          headers: { ...stored.reply.headers, 'idempotent-replayed': 'true' },
          replayed: true,
          operation: undefined,
        }
      }
    }
    const fields: Record<string, unknown> = {}
    for (const [name, value] of params) if (name !== 'expand') fields[name] = value
    const requestId = this.requestId()
    const change = { id: requestId, idempotencyKey }
    const customer: StripeObject =
      id === undefined
        ? this.records.create('customer', { metadata: {}, ...fields }, {}, change)
        : this.records.update(
            'customer',
            id,
            mergeMetadata(this.records.get('customer', id), fields),
            {},
            change,
          )
    const reply: FakeReply = {
      status: 200,
      headers: {
        'request-id': requestId,
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
      body: structuredClone(customer),
      operation: id === undefined ? 'customer.create' : 'customer.update',
    }
    // Stripe saves the outcome once the endpoint began executing, so a retry after a dropped
    // connection gets this answer instead of a second customer.
    if (idempotencyKey !== undefined)
      this.answers.set(storeKey, {
        fingerprint: print,
        reply: { ...reply, operation: undefined },
        at: this.clock.now(),
      })
    return reply
  }

  private filterFor(
    type: StripeType | 'event',
    params: Map<string, StripeParam>,
  ): (o: StripeObject) => boolean {
    const checks: ((o: StripeObject) => boolean)[] = [createdFilter(params.get('created'))]
    if (type === 'event') {
      const cutoff = this.eventCutoff()
      checks.push((o) => o.created >= cutoff)
      const single = stringParam(params, 'type')
      const many = params.get('types')
      if (single !== undefined && many !== undefined) {
        throw new StripeApiError(
          400,
          'invalid_request_error',
          'You may only specify one of these parameters: type, types.',
        )
      }
      const patterns =
        single !== undefined
          ? [single]
          : Array.isArray(many)
            ? many
            : typeof many === 'string'
              ? [many]
              : undefined
      if (patterns !== undefined) {
        if (patterns.length > 20)
          throw new StripeApiError(400, 'invalid_request_error', 'You may pass at most 20 types.', {
            param: 'types',
          })
        const tests = patterns.map((p) =>
          p.endsWith('*') ? (t: string) => t.startsWith(p.slice(0, -1)) : (t: string) => t === p,
        )
        checks.push((o) => tests.some((test) => test(String(o['type']))))
      }
      const delivery = stringParam(params, 'delivery_success')
      if (delivery !== undefined) {
        if (delivery !== 'true' && delivery !== 'false') {
          throw new StripeApiError(400, 'invalid_request_error', `Invalid boolean: ${delivery}`, {
            param: 'delivery_success',
          })
        }
        const wanted = delivery === 'true'
        checks.push((o) => (o['pending_webhooks'] === 0) === wanted)
      }
      return (o) => checks.every((check) => check(o))
    }
    for (const field of LIST_PARAMS[type]) {
      if (field === 'status' || field === 'price') continue
      const value = stringParam(params, field)
      if (value !== undefined) checks.push((o) => o[field] === value)
    }
    const status = stringParam(params, 'status')
    if (type === 'subscription') {
      if (status !== undefined && !SUBSCRIPTION_STATUSES.includes(status)) {
        throw new StripeApiError(
          400,
          'invalid_request_error',
          `Invalid status: must be one of ${SUBSCRIPTION_STATUSES.join(', ')}`,
          { param: 'status' },
        )
      }
      // Without `status`, Stripe lists every subscription that is not canceled.
      if (status === undefined) checks.push((o) => o['status'] !== 'canceled')
      else if (status !== 'all') checks.push((o) => o['status'] === status)
    } else if (status !== undefined) {
      checks.push((o) => o['status'] === status)
    }
    return (o) => checks.every((check) => check(o))
  }

  private pruneAnswers(): void {
    const oldest = this.clock.now() - IDEMPOTENCY_KEY_TTL_MS
    // Insertion order is age order, so the expired ones are at the front.
    for (const [key, answer] of this.answers) {
      if (answer.at > oldest) break
      this.answers.delete(key)
    }
  }

  private eventCutoff(): number {
    return Math.floor(this.clock.now() / 1000) - EVENT_RETENTION_SECONDS
  }

  private requestId(): string {
    return `req_${this.random.alphanumeric(14)}`
  }
}

const STRIPE_PATHS: Record<StripeType, string> = {
  customer: 'customers',
  subscription: 'subscriptions',
  invoice: 'invoices',
  payment_intent: 'payment_intents',
  charge: 'charges',
}

function headerValue(req: FakeRequest, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function maskKey(key: string): string {
  if (key.length === 0) return '(empty)'
  return `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`
}

function checkKnown(params: Map<string, StripeParam>, allowed: string[]): void {
  for (const name of params.keys()) {
    if (!allowed.includes(name)) {
      throw new StripeApiError(400, 'invalid_request_error', `Received unknown parameter: ${name}`, {
        code: 'parameter_unknown',
        param: name,
      })
    }
  }
}

function stringParam(params: Map<string, StripeParam>, name: string): string | undefined {
  const value = params.get(name)
  if (value === undefined) return undefined
  if (typeof value !== 'string')
    throw new StripeApiError(400, 'invalid_request_error', `Invalid string: ${name}`, { param: name })
  return value
}

function parseLimit(value: StripeParam | undefined): number {
  if (value === undefined) return 10
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
    throw new StripeApiError(400, 'invalid_request_error', `Invalid integer: ${JSON.stringify(value)}`, {
      param: 'limit',
    })
  }
  const limit = Number(value)
  if (limit < 1)
    throw new StripeApiError(400, 'invalid_request_error', 'This value must be greater than or equal to 1.', {
      param: 'limit',
    })
  if (limit > 100)
    throw new StripeApiError(400, 'invalid_request_error', 'This value must be less than or equal to 100.', {
      param: 'limit',
    })
  return limit
}

/** `created=N` or `created[gt|gte|lt|lte]=N`. */
function createdFilter(value: StripeParam | undefined): (o: StripeObject) => boolean {
  if (value === undefined) return () => true
  const int = (text: string, param: string): number => {
    if (!/^\d+$/.test(text))
      throw new StripeApiError(400, 'invalid_request_error', `Invalid integer: ${text}`, { param })
    return Number(text)
  }
  if (typeof value === 'string') {
    const at = int(value, 'created')
    return (o) => o.created === at
  }
  if (Array.isArray(value))
    throw new StripeApiError(400, 'invalid_request_error', 'Invalid created: a timestamp or a hash', {
      param: 'created',
    })
  const bounds: ((o: StripeObject) => boolean)[] = []
  for (const [op, text] of Object.entries(value)) {
    const n = int(text, `created[${op}]`)
    if (op === 'gt') bounds.push((o) => o.created > n)
    else if (op === 'gte') bounds.push((o) => o.created >= n)
    else if (op === 'lt') bounds.push((o) => o.created < n)
    else if (op === 'lte') bounds.push((o) => o.created <= n)
    else
      throw new StripeApiError(400, 'invalid_request_error', `Received unknown parameter: created[${op}]`, {
        param: `created[${op}]`,
      })
  }
  return (o) => bounds.every((b) => b(o))
}

/** Stripe merges `metadata` on update rather than replacing it. */
function mergeMetadata(
  current: StripeObject | undefined,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  const metadata = fields['metadata']
  if (metadata === undefined || current === undefined) return fields
  return {
    ...fields,
    metadata: {
      ...(current['metadata'] as Record<string, unknown>),
      ...(metadata as Record<string, unknown>),
    },
  }
}
