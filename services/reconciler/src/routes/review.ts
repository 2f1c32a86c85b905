import { adminIdentity } from '@integration-ledger/access'
import { PermanentError } from '@integration-ledger/core'
import { errorResponse, jsonResponse } from '@integration-ledger/service-kit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { REVIEW_ACTIONS } from '../review/review-service.js'
import type { ReconcilerCore } from '../start.js'

const listSchema = z.object({
  status: z.enum(['open', 'accepted-remote', 'kept-local', 'ignored', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.coerce.number().int().min(0).default(0),
})

const resolveSchema = z
  .object({ action: z.enum(REVIEW_ACTIONS) })
  .meta({ examples: [{ action: 'keep-local' }] })

const itemParams = z.object({ id: z.string().meta({ description: 'The review item ID.' }) })

const reviewItemSchema = z.looseObject({
  id: z.number().int(),
  source: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  kind: z.string(),
  localVersion: z.number().nullable(),
  remoteVersion: z.number().nullable(),
  runId: z.string(),
  foundAt: z.string(),
  status: z.string(),
  resolvedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolutionEventId: z.string().nullable(),
})

const resolving = {
  action: 'review.resolve',
  target: (request: FastifyRequest) => `review:${(request.params as { id: string }).id}`,
  details: (request: FastifyRequest) => ({
    action: (request.body as { action?: unknown } | undefined)?.action,
  }),
}

/** GET /review (one page, keyset on id), POST /review/:id/resolve. */
export async function reviewRoutes(app: FastifyInstance, core: ReconcilerCore): Promise<void> {
  const tags = ['review']
  const listRoute = {
    schema: {
      tags,
      summary: 'One page of review items, by ID',
      querystring: listSchema,
      response: {
        200: jsonResponse(
          'Items; `next` is the `after` of the following page.',
          z.object({ items: z.array(reviewItemSchema), next: z.number().int().optional() }),
        ),
        400: errorResponse('VALIDATION_FAILED: a query parameter is not as described.'),
      },
    },
  }
  app.get('/review', listRoute, async (request) => {
    const parsed = listSchema.safeParse(request.query ?? {})
    if (!parsed.success) throw new PermanentError('VALIDATION_FAILED', z.prettifyError(parsed.error))
    const { status, limit, after } = parsed.data
    const items = await core.review.list({
      ...(status === 'all' ? { status: null } : { status }),
      limit,
      after,
    })
    const last = items.at(-1)
    return { items, ...(items.length === limit && last !== undefined ? { next: last.id } : {}) }
  })

  app.post<{ Params: { id: string } }>(
    '/review/:id/resolve',
    {
      config: { audit: resolving },
      schema: {
        tags,
        summary: 'Resolve a review item (audited)',
        params: itemParams,
        body: resolveSchema,
        response: {
          200: jsonResponse('The item as resolved.', reviewItemSchema),
          400: errorResponse('VALIDATION_FAILED: the action is not one of the three.'),
          404: errorResponse('NOT_FOUND: no such review item.'),
        },
      },
    },
    async (request) => {
      const id = z.coerce.number().int().positive().safeParse(request.params.id)
      if (!id.success) throw new PermanentError('NOT_FOUND', `No review item ${request.params.id}.`)
      const body = resolveSchema.safeParse(request.body ?? {})
      if (!body.success) {
        throw new PermanentError('VALIDATION_FAILED', `Give {"action": one of ${REVIEW_ACTIONS.join(', ')}}.`)
      }
      return core.review.resolve(id.data, body.data.action, adminIdentity(request).name, request.id)
    },
  )
}
