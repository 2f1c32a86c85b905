import { LedgerError } from '@integration-ledger/core'
import { z } from 'zod'
import type { ProviderServer } from './provider-server.js'
import type { FakeReply, FakeRequest } from './types.js'

/**
 * The control API over HTTP, for a fake started on its own (`npm run fake-providers`); tests use
 * the same operations in process. Unauthenticated: the fakes listen on loopback only by default.
 *
 * | route | does |
 * | --- | --- |
 * | `GET /_fake/requests[?method=&path=]` | the request log |
 * | `GET /_fake/operations[?method=&path=]` | requests that changed remote state |
 * | `DELETE /_fake/requests` | clears the log |
 * | `POST /_fake/faults` | adds a fault (a `FaultRule` as JSON; `path` is a prefix) |
 * | `DELETE /_fake/faults` | removes every fault |
 * | `GET /_fake/records/:type/:id` | one remote record |
 * | `POST /_fake/records/:type` | creates a record (body: fields) |
 * | `PATCH /_fake/records/:type/:id` | changes a record (body: fields) |
 * | `DELETE /_fake/records/:type/:id` | deletes a record |
 *
 * Record changes take `?webhookDelivered=false` to leave the change's webhook undelivered.
 */
const retryAfter = z.object({
  seconds: z.number().nonnegative(),
  format: z.enum(['seconds', 'http-date']).optional(),
})

/** A `FaultRule` as JSON: `path` is a prefix (a RegExp cannot travel as JSON). */
const faultRuleSchema = z.strictObject({
  method: z.string().optional(),
  path: z.string().optional(),
  times: z.number().int().positive().optional(),
  durationMs: z.number().positive().optional(),
  action: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('status'),
      status: z.number().int().min(100).max(599),
      retryAfter: retryAfter.optional(),
      headers: z.record(z.string(), z.string()).optional(),
    }),
    z.strictObject({ kind: z.literal('rate-limited'), retryAfter: retryAfter.optional() }),
    z.strictObject({
      kind: z.literal('delay'),
      ms: z.number().int().nonnegative(),
      phase: z.enum(['headers', 'body']).optional(),
    }),
    z.strictObject({ kind: z.literal('drop-after-processing') }),
    z.strictObject({ kind: z.literal('drop-before-processing') }),
  ]),
})

export async function handleControl(server: ProviderServer, req: FakeRequest): Promise<FakeReply> {
  try {
    return route(server, req)
  } catch (err) {
    if (err instanceof LedgerError) {
      return { status: err.code === 'NOT_FOUND' ? 404 : 400, body: { error: err.message } }
    }
    if (err instanceof SyntaxError || err instanceof RangeError)
      return { status: 400, body: { error: err.message } }
    throw err
  }
}

function route(server: ProviderServer, req: FakeRequest): FakeReply {
  const parts = req.url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent)
  const [resource, type, id] = parts
  const filter = {
    method: req.url.searchParams.get('method') ?? undefined,
    path: req.url.searchParams.get('path') ?? undefined,
  }
  const records = server.handler.records
  const change = { webhookDelivered: req.url.searchParams.get('webhookDelivered') !== 'false' }
  switch (`${req.method} ${resource ?? ''}${parts.length > 1 ? `/${parts.length - 1}` : ''}`) {
    case 'GET requests':
      return { status: 200, body: { requests: server.log.requests(filter) } }
    case 'GET operations':
      return { status: 200, body: { operations: server.log.operations(filter) } }
    case 'DELETE requests':
      server.log.clear()
      return { status: 204 }
    case 'POST faults': {
      const parsed = faultRuleSchema.safeParse(parseJson(req))
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'rule'}: ${i.message}`)
        return { status: 400, body: { error: `Not a fault rule: ${problems.join('; ')}` } }
      }
      const handle = server.faults.add(parsed.data)
      return { status: 201, body: { id: handle.id } }
    }
    case 'DELETE faults':
      server.faults.clear()
      return { status: 204 }
    case 'GET records/2': {
      const record = records.get(type ?? '', id ?? '')
      return record === undefined
        ? { status: 404, body: { error: `No ${type} ${id}.` } }
        : { status: 200, body: record }
    }
    case 'POST records/1':
      return { status: 201, body: records.create(type ?? '', parseJson(req), change) }
    case 'PATCH records/2':
      return { status: 200, body: records.update(type ?? '', id ?? '', parseJson(req), change) }
    case 'DELETE records/2':
      records.remove(type ?? '', id ?? '', change)
      return { status: 204 }
    default:
      return {
        status: 404,
        body: {
          error: `No control route ${req.method} ${req.url.pathname}; see the package README for the routes.`,
        },
      }
  }
}

function parseJson(req: FakeRequest): Record<string, unknown> {
  if (req.body.length === 0) return {}
  const value: unknown = JSON.parse(req.body.toString('utf8'))
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SyntaxError('The control API takes a JSON object.')
  }
  return value as Record<string, unknown>
}
