import { LedgerError } from '@integration-ledger/core'
import type { DlqActionResult, DlqOperations } from '@integration-ledger/dlq'
import { addAuditDetails, adminIdentity } from '@integration-ledger/access'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AdminDeps } from '../app.js'
import {
  dlqActionBodySchema,
  dlqFilterSchema,
  dlqPageSchema,
  parseRequest,
  toSelection,
} from '../dlq/requests.js'

const listQuerySchema = dlqFilterSchema.extend({ group: z.string().min(1), ...dlqPageSchema.shape })

const showParamsSchema = z.object({
  group: z.string().min(1),
  partition: z.coerce.number().int().min(0),
  offset: z.string().regex(/^\d+$/, 'expected a non-negative offset'),
})

/**
 * DLQ operations (see packages/sdk/ARCHITECTURE.md):
 * - `GET /dlq?group&source&errorClass&since&until&status&limit&after`: one page of records, oldest
 *   first, `{ group, total, records, next? }`; `after=<next>` asks for the following page;
 * - `GET /dlq/:group/:partition/:offset`: one record with every header and an envelope summary;
 * - `POST /dlq/replay` `{ group, reason?, records | filter }`: to the original topic, once;
 * - `POST /dlq/discard` `{ group, reason, records | filter }`.
 * Every replay and discard is recorded per record in `dlq_actions` and as one row of the audit
 * log, both under the token's name (an `actor` in the body is ignored). Reads are served by the
 * `dlq_index` table, brought up to date with the DLQ topic on each call.
 */
export const dlqRoutes: FastifyPluginAsync<AdminDeps & { dlq: DlqOperations }> = async (api, { dlq }) => {
  const audited = (action: string) => ({
    action,
    target: (request: FastifyRequest) => {
      const group = (request.body as { group?: unknown } | undefined)?.group
      return `dlq:${typeof group === 'string' ? group.slice(0, 200) : '?'}`
    },
    details: (request: FastifyRequest) => {
      const { reason, records, filter } = (request.body ?? {}) as Record<string, unknown>
      return { reason, records, filter }
    },
  })
  api.get('/dlq', async (request) => {
    const { group, limit, after, ...filter } = parseRequest(listQuerySchema, request.query, 'DLQ query')
    return { group, ...(await dlq.list(group, filter, { limit, after })) }
  })

  api.get('/dlq/:group/:partition/:offset', async (request) => {
    const { group, partition, offset } = parseRequest(showParamsSchema, request.params, 'DLQ record')
    return dlq.show(group, { partition, offset })
  })

  const counts = (result: DlqActionResult) => ({
    done: result.done.length,
    skipped: result.skipped.length,
    missing: result.missing.length,
  })

  api.post('/dlq/replay', { config: { audit: audited('dlq.replay') } }, async (request) => {
    const body = parseRequest(dlqActionBodySchema, request.body, 'replay request')
    const actor = adminIdentity(request).name
    const result = await dlq.replay(body.group, toSelection(body), {
      actor,
      reason: body.reason,
      correlationId: request.id,
    })
    addAuditDetails(request, counts(result))
    return result
  })

  api.post('/dlq/discard', { config: { audit: audited('dlq.discard') } }, async (request) => {
    const body = parseRequest(dlqActionBodySchema, request.body, 'discard request')
    if (!body.reason)
      throw new LedgerError('VALIDATION_FAILED', 'Invalid discard request: reason is required.')
    const actor = adminIdentity(request).name
    const result = await dlq.discard(body.group, toSelection(body), { actor, reason: body.reason })
    addAuditDetails(request, counts(result))
    return result
  })
}
