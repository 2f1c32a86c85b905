import { addAuditDetails, adminIdentity } from '@integration-ledger/access'
import { PermanentError } from '@integration-ledger/core'
import { errorResponse, jsonResponse, parseRequest } from '@integration-ledger/service-kit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { ReconcilerCore } from '../start.js'
import { targetFor } from '../targets.js'

const startSchema = z
  .object({
    source: z.string().min(1).meta({ description: 'A source of RECONCILE_SOURCES.' }),
    entityType: z.string().min(1).meta({ description: 'The entity type to compare, e.g. customer.' }),
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: 'Only records changed since; deletes are not judged then.' }),
    dryRun: z.boolean().optional().meta({ description: 'Report drift, publish nothing.' }),
  })
  .meta({ examples: [{ source: 'billing', entityType: 'customer' }] })

const listQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) })

const runIdParams = z.object({ id: z.string().meta({ description: 'The runId POST /runs answered.' }) })

/** A run as listed; GET /runs/:id adds its `report` (and `catchUp`) once finished. */
const runSchema = z.looseObject({
  id: z.uuid(),
  source: z.string(),
  entityType: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  dryRun: z.boolean(),
  startedBy: z.string(),
  startedAt: z.iso.datetime(),
})

const starting = {
  action: 'reconcile.start',
  target: (request: FastifyRequest) => {
    const { source, entityType } = (request.body ?? {}) as Record<string, unknown>
    return `reconcile:${String(source)}/${String(entityType)}`
  },
  details: (request: FastifyRequest) => {
    const { since, dryRun } = (request.body ?? {}) as Record<string, unknown>
    return { since, dryRun }
  },
}

/** POST /runs (start or resume), GET /runs, GET /runs/:id (with its report). */
export async function runRoutes(app: FastifyInstance, core: ReconcilerCore): Promise<void> {
  const tags = ['runs']
  const startRoute = {
    config: { audit: starting },
    schema: {
      tags,
      summary: 'Start a reconciliation, or resume the unfinished one with the same options',
      body: startSchema,
      response: {
        202: jsonResponse(
          'Started; poll `href` for progress and the report.',
          z.object({ runId: z.uuid(), status: z.literal('running'), href: z.string() }),
        ),
        400: errorResponse('VALIDATION_FAILED: the body is not as described.'),
        409: errorResponse('CONFLICT: a run for this source and type is already going.'),
      },
    },
  }
  app.post('/runs', startRoute, async (request, reply) => {
    const parsed = startSchema.safeParse(request.body ?? {})
    if (!parsed.success) {
      throw new PermanentError('VALIDATION_FAILED', `Invalid run request: ${z.prettifyError(parsed.error)}`)
    }
    const { source, entityType, since, dryRun } = parsed.data
    const target = targetFor(core.targets, core.config.sources, source, entityType)
    const { runId, finished } = await core.reconciler.start(target, {
      entityType,
      actor: adminIdentity(request).name,
      ...(since === undefined ? {} : { since: new Date(since) }),
      ...(dryRun === undefined ? {} : { dryRun }),
    })
    addAuditDetails(request, { runId })
    finished.then(
      (report) => request.log.info({ report }, 'reconciliation finished'),
      (err: unknown) =>
        request.log.warn(
          { err, runId },
          'reconciliation failed; starting it again resumes from its checkpoint',
        ),
    )
    return reply.status(202).send({ runId, status: 'running', href: `/runs/${runId}` })
  })

  const listRoute = {
    schema: {
      tags,
      summary: 'The latest runs, newest first',
      querystring: listQuerySchema,
      response: { 200: jsonResponse('Runs without their reports.', z.object({ runs: z.array(runSchema) })) },
    },
  }
  app.get('/runs', listRoute, async (request) => {
    const { limit } = parseRequest(listQuerySchema, request.query ?? {}, 'runs query')
    const runs = await core.reconciler.runs.list(limit)
    return { runs: runs.map(({ report: _report, ...run }) => run) }
  })

  const showRoute = {
    schema: {
      tags,
      summary: 'One run: progress, and its report once finished',
      params: runIdParams,
      response: {
        200: jsonResponse('The run.', runSchema),
        404: errorResponse('NOT_FOUND: no such run.'),
      },
    },
  }
  app.get<{ Params: { id: string } }>('/runs/:id', showRoute, async (request) => {
    const id = z.uuid().safeParse(request.params.id)
    const run = id.success ? await core.reconciler.runs.get(id.data) : undefined
    if (run === undefined)
      throw new PermanentError('NOT_FOUND', `No run ${request.params.id}; list them with GET /runs.`)
    return run
  })
}
