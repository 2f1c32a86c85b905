import { LedgerError } from '@ledger/core'
import type { DlqOperations } from '@ledger/dlq'
import type { FastifyPluginAsync } from 'fastify'
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
 * - `POST /dlq/replay` `{ group, actor, reason?, records | filter }`: to the original topic, once;
 * - `POST /dlq/discard` `{ group, actor, reason, records | filter }`.
 * Every replay and discard is recorded in `dlq_actions`. Reads are served by the `dlq_index` table,
 * brought up to date with the DLQ topic on each call.
 */
export const dlqRoutes: FastifyPluginAsync<AdminDeps & { dlq: DlqOperations }> = async (api, { dlq }) => {
  api.get('/dlq', async (request) => {
    const { group, limit, after, ...filter } = parseRequest(listQuerySchema, request.query, 'DLQ query')
    return { group, ...(await dlq.list(group, filter, { limit, after })) }
  })

  api.get('/dlq/:group/:partition/:offset', async (request) => {
    const { group, partition, offset } = parseRequest(showParamsSchema, request.params, 'DLQ record')
    return dlq.show(group, { partition, offset })
  })

  api.post('/dlq/replay', async (request) => {
    const body = parseRequest(dlqActionBodySchema, request.body, 'replay request')
    return dlq.replay(body.group, toSelection(body), { actor: body.actor, reason: body.reason })
  })

  api.post('/dlq/discard', async (request) => {
    const body = parseRequest(dlqActionBodySchema, request.body, 'discard request')
    if (!body.reason)
      throw new LedgerError('VALIDATION_FAILED', 'Invalid discard request: reason is required.')
    return dlq.discard(body.group, toSelection(body), { actor: body.actor, reason: body.reason })
  })
}
