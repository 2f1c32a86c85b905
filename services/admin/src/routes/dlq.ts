import { LedgerError } from '@integration-ledger/core'
import type { DlqActionResult, DlqOperations } from '@integration-ledger/dlq'
import { addAuditDetails, adminIdentity } from '@integration-ledger/access'
import { errorResponse, jsonResponse, parseRequest } from '@integration-ledger/service-kit'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AdminDeps } from '../app.js'
import { dlqActionBodySchema, dlqFilterSchema, dlqPageSchema, toSelection } from '../dlq/requests.js'

const listQuerySchema = dlqFilterSchema.extend({ group: z.string().min(1), ...dlqPageSchema.shape })

const showParamsSchema = z.object({
  group: z.string().min(1),
  partition: z.coerce.number().int().min(0),
  offset: z.string().regex(/^\d+$/, 'expected a non-negative offset'),
})

const dlqRecordSchema = z.looseObject({
  group: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  originalTopic: z.string(),
  errorClass: z.string().optional(),
  errorMessage: z.string().optional(),
  deadLetteredAt: z.string(),
})

const actionResultSchema = z.looseObject({
  done: z.array(z.looseObject({})).meta({ description: 'Records acted on now.' }),
  skipped: z.array(z.looseObject({})).meta({ description: 'Replayed or discarded before; left alone.' }),
  missing: z.array(z.looseObject({})).meta({ description: 'Not in the DLQ.' }),
})

const tags = ['dlq']
const invalid = errorResponse('VALIDATION_FAILED: the message names each field that is not as described.')

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
  const listRoute = {
    schema: {
      tags,
      summary: 'One page of dead-lettered records, oldest first',
      querystring: listQuerySchema,
      response: {
        200: jsonResponse(
          '`next` is the `after` of the following page; absent on the last one.',
          z.object({
            group: z.string(),
            total: z.number().int(),
            records: z.array(dlqRecordSchema),
            next: z.string().optional(),
          }),
        ),
        400: invalid,
      },
    },
  }
  api.get('/dlq', listRoute, async (request) => {
    const { group, limit, after, ...filter } = parseRequest(listQuerySchema, request.query, 'DLQ query')
    return { group, ...(await dlq.list(group, filter, { limit, after })) }
  })

  const showRoute = {
    schema: {
      tags,
      summary: 'One record with every header and an envelope summary',
      params: showParamsSchema,
      response: {
        200: jsonResponse('The record.', dlqRecordSchema),
        400: invalid,
        404: errorResponse('NOT_FOUND: no such record in the DLQ.'),
      },
    },
  }
  api.get('/dlq/:group/:partition/:offset', showRoute, async (request) => {
    const { group, partition, offset } = parseRequest(showParamsSchema, request.params, 'DLQ record')
    return dlq.show(group, { partition, offset })
  })

  const counts = (result: DlqActionResult) => ({
    done: result.done.length,
    skipped: result.skipped.length,
    missing: result.missing.length,
  })

  const actionRoute = (summary: string) => ({
    schema: {
      tags,
      summary,
      body: dlqActionBodySchema,
      response: {
        200: jsonResponse('What was done to each selected record.', actionResultSchema),
        400: invalid,
      },
    },
  })
  const replayRoute = {
    config: { audit: audited('dlq.replay') },
    ...actionRoute('Replay records to their original topic, each at most once (audited)'),
  }
  api.post('/dlq/replay', replayRoute, async (request) => {
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

  const discardRoute = {
    config: { audit: audited('dlq.discard') },
    ...actionRoute('Discard records; `reason` is required (audited)'),
  }
  api.post('/dlq/discard', discardRoute, async (request) => {
    const body = parseRequest(dlqActionBodySchema, request.body, 'discard request')
    if (!body.reason)
      throw new LedgerError('VALIDATION_FAILED', 'Invalid discard request: reason is required.')
    const actor = adminIdentity(request).name
    const result = await dlq.discard(body.group, toSelection(body), { actor, reason: body.reason })
    addAuditDetails(request, counts(result))
    return result
  })
}
