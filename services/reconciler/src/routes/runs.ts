import { addAuditDetails, adminIdentity } from '@integration-ledger/access'
import { PermanentError } from '@integration-ledger/core'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { ReconcilerCore } from '../start.js'
import { targetFor } from '../targets.js'

const startSchema = z.object({
  source: z.string().min(1),
  entityType: z.string().min(1),
  since: z.iso.datetime({ offset: true }).optional(),
  dryRun: z.boolean().optional(),
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
  app.post('/runs', { config: { audit: starting } }, async (request, reply) => {
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

  app.get('/runs', async (request) => {
    const limit = z.coerce
      .number()
      .int()
      .min(1)
      .max(500)
      .default(50)
      .parse((request.query as { limit?: string }).limit)
    const runs = await core.reconciler.runs.list(limit)
    return { runs: runs.map(({ report: _report, ...run }) => run) }
  })

  app.get<{ Params: { id: string } }>('/runs/:id', async (request) => {
    const id = z.uuid().safeParse(request.params.id)
    const run = id.success ? await core.reconciler.runs.get(id.data) : undefined
    if (run === undefined)
      throw new PermanentError('NOT_FOUND', `No run ${request.params.id}; list them with GET /runs.`)
    return run
  })
}
