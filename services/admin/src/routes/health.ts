import { readFile } from 'node:fs/promises'
import { adminIdentity } from '@integration-ledger/access'
import { LedgerError } from '@integration-ledger/core'
import type { DlqOperations } from '@integration-ledger/dlq'
import { errorResponse, jsonResponse, parseRequest } from '@integration-ledger/service-kit'
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { AdminDeps } from '../app.js'
import { PrometheusClient } from '../health/prometheus.js'
import { ReconcilerClient } from '../health/reconciler.js'
import { HealthSummaryBuilder } from '../health/summary.js'

/** services/admin/static/health, the same from src/routes (tsx) and dist/routes (built). */
const STATIC_DIR = new URL('../../static/health/', import.meta.url)

const ASSETS = {
  '/health': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/health/health.js': { file: 'health.js', type: 'text/javascript; charset=utf-8' },
  '/health/health.css': { file: 'health.css', type: 'text/css; charset=utf-8' },
} as const

/**
 * The page renders hostile text (payload-derived error messages, entity IDs) only as text, never
 * as markup; the policy is the second wall: no inline script, nothing from elsewhere, no framing.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
}

/**
 * The health page itself: plain HTML, one ES module and a stylesheet, read once at start and
 * served without authentication (they hold no data; the page asks for the admin token and sends
 * it as a bearer header on every API call).
 */
export const healthPageRoutes: FastifyPluginAsync = async (app) => {
  for (const [url, { file, type }] of Object.entries(ASSETS)) {
    const body = await readFile(new URL(file, STATIC_DIR))
    const schema = {
      tags: ['health page'],
      summary: `The health page's ${file} (no data; open)`,
      security: [],
      response: { 200: { description: file, content: { [type]: { schema: z.string() } } } },
    }
    app.get(url, { schema }, async (_request, reply) =>
      reply.headers({ ...PAGE_HEADERS, 'content-type': type }).send(body),
    )
  }
}

const reviewListSchema = z.object({
  status: z.enum(['open', 'accepted-remote', 'kept-local', 'ignored', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.coerce.number().int().min(0).optional(),
})

const reviewResolveSchema = z
  .object({ action: z.enum(['accept-remote', 'keep-local', 'ignore']) })
  .meta({ examples: [{ action: 'keep-local' }] })

const reviewParams = z.object({ id: z.string().meta({ description: 'The review item ID.' }) })
const unconfigured = errorResponse(
  'CONFIG_INVALID: LEDGER_RECONCILER_TOKEN is not set for the admin service.',
)

/**
 * Behind the admin token:
 * - `GET /health/summary`: everything the page shows (see `HealthSummaryBuilder`);
 * - `GET /reconciler/review?status&limit&after`, `POST /reconciler/review/:id/resolve {action}`:
 *   the reconciler's own review API, called with `LEDGER_RECONCILER_TOKEN` (503 without it), so a
 *   resolution from the page is the reconciler's one audited operation.
 * DLQ records are browsed, replayed and discarded through the `/dlq` routes.
 */
export const healthRoutes: FastifyPluginAsync<AdminDeps & { dlq: DlqOperations }> = async (api, deps) => {
  const { prometheusUrl, reconcilerUrl, reconcilerToken, refreshMs } = deps.config.health
  const reconciler =
    reconcilerToken === undefined ? undefined : new ReconcilerClient(reconcilerUrl, reconcilerToken)
  const summary = new HealthSummaryBuilder({
    prometheus: new PrometheusClient(prometheusUrl),
    reconciler,
    dlq: deps.dlq,
    transport: deps.transport,
    refreshMs,
    logger: api.log,
  })
  api.addHook('onClose', () => summary.close())

  const summaryRoute = {
    schema: {
      tags: ['health page'],
      summary: 'Everything the health page shows',
      response: {
        200: jsonResponse('Per source, consumer, DLQ, reconciliation, breaker and alert.', z.looseObject({})),
      },
    },
  }
  api.get('/health/summary', summaryRoute, async () => summary.build())

  const configured = (): ReconcilerClient => {
    if (reconciler) return reconciler
    throw new LedgerError(
      'CONFIG_INVALID',
      'Review items are read through the reconciler API; set LEDGER_RECONCILER_TOKEN (and LEDGER_RECONCILER_URL) for the admin service.',
    )
  }

  const reviewRoute = {
    schema: {
      tags: ['review'],
      summary: "The reconciler's review items, through its API",
      querystring: reviewListSchema,
      response: {
        200: jsonResponse("The reconciler's answer: { items, next? }.", z.looseObject({})),
        400: errorResponse('VALIDATION_FAILED: a query parameter is not as described.'),
        503: unconfigured,
      },
    },
  }
  api.get('/reconciler/review', reviewRoute, async (request) => {
    const { status, limit, after } = parseRequest(reviewListSchema, request.query, 'review query')
    const query = new URLSearchParams({
      status,
      limit: String(limit),
      ...(after ? { after: String(after) } : {}),
    })
    return configured().request('GET', `/review?${query.toString()}`)
  })

  // Audited here under the operator's token; the reconciler audits it too. A named token is
  // forwarded, so the reconciler (which shares the token store) records the operator as well;
  // an environment token is not the reconciler's, so the admin's own token stands in for it.
  api.post<{ Params: { id: string } }>(
    '/reconciler/review/:id/resolve',
    {
      config: {
        audit: {
          action: 'review.resolve',
          target: (request) => `review:${(request.params as { id?: string }).id ?? '?'}`,
          details: (request) => ({ action: (request.body as { action?: unknown } | undefined)?.action }),
        },
      },
      schema: {
        tags: ['review'],
        summary: 'Resolve a review item through the reconciler (audited by both)',
        params: reviewParams,
        body: reviewResolveSchema,
        response: {
          200: jsonResponse('The item as resolved.', z.looseObject({})),
          400: errorResponse('VALIDATION_FAILED: the ID or the action is not as described.'),
          503: unconfigured,
        },
      },
    },
    async (request) => {
      const id = parseRequest(z.coerce.number().int().positive(), request.params.id, 'review item ID')
      const body = parseRequest(reviewResolveSchema, request.body, 'resolution')
      const asCaller = adminIdentity(request).tokenId === null ? undefined : request.headers.authorization
      return configured().request('POST', `/review/${id}/resolve`, body, asCaller)
    },
  )
}
