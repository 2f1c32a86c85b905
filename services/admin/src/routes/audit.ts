import type { AuditLog } from '@integration-ledger/access'
import { errorResponse, jsonResponse, parseRequest } from '@integration-ledger/service-kit'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoTime } from '../dlq/requests.js'

const listSchema = z.object({
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  /** @default 100 */
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** The `next` of the previous page. */
  after: z
    .string()
    .regex(/^\d{1,19}$/, 'expected the "next" of the previous page')
    .optional(),
})

/**
 * `GET /audit?actor&action&target&since&until&limit&after`: the audit log of every service, newest
 * first, `{ records, next? }`; `after=<next>` asks for the following (older) page.
 */
export async function auditRoutes(api: FastifyInstance, { audit }: { audit: AuditLog }): Promise<void> {
  const route = {
    schema: {
      tags: ['audit'],
      summary: 'The audit log of every service, newest first',
      querystring: listSchema,
      response: {
        200: jsonResponse(
          '`next` is the `after` of the following (older) page.',
          z.object({ records: z.array(z.looseObject({})), next: z.string().optional() }),
        ),
        400: errorResponse('VALIDATION_FAILED: a query parameter is not as described.'),
      },
    },
  }
  api.get('/audit', route, async (request) => {
    const { limit, after, ...filter } = parseRequest(listSchema, request.query, 'audit query')
    return audit.list(filter, { limit, after })
  })
}
