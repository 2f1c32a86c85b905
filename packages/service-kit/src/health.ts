import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import { jsonResponse } from './openapi.js'

/** One dependency the service needs to do its job, e.g. the broker or the database. */
export interface ReadinessCheck {
  name: string
  /** Resolves true when the dependency is usable; may throw, which counts as false. */
  check(): boolean | Promise<boolean>
}

export interface HealthRoutesOptions {
  registry: Registry
  checks: readonly ReadinessCheck[]
}

/**
 * GET /healthz (the process is alive), GET /readyz (every dependency answers; 503 naming those
 * that do not) and GET /metrics (Prometheus text format).
 */
export function registerHealthRoutes(app: FastifyInstance, options: HealthRoutesOptions): void {
  const open = { tags: ['health'], security: [] }
  app.get(
    '/healthz',
    {
      logLevel: 'warn',
      schema: {
        ...open,
        summary: 'The process is alive',
        response: { 200: jsonResponse('Alive.', z.object({ status: z.literal('ok') })) },
      },
    },
    async () => ({ status: 'ok' }),
  )

  const readiness = z.object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(z.string(), z.enum(['ok', 'unavailable'])).meta({
      description: 'Each dependency by name, e.g. kafka, database.',
    }),
  })
  const readySchema = {
    ...open,
    summary: 'Every dependency answers',
    response: {
      200: jsonResponse('Ready.', readiness),
      503: jsonResponse('Not ready; `checks` names the dependencies that do not answer.', readiness),
    },
  }
  app.get('/readyz', { logLevel: 'warn', schema: readySchema }, async (_request, reply) => {
    const results = await Promise.all(
      options.checks.map(async (c) => {
        try {
          return [c.name, await c.check()] as const
        } catch {
          return [c.name, false] as const
        }
      }),
    )
    const checks = Object.fromEntries(results.map(([name, ok]) => [name, ok ? 'ok' : 'unavailable']))
    const ready = results.every(([, ok]) => ok)
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks })
  })

  const metricsSchema = {
    ...open,
    summary: 'Prometheus metrics (text format)',
    response: {
      200: {
        description: 'Prometheus text exposition format.',
        content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: z.string() } },
      },
    },
  }
  app.get('/metrics', { logLevel: 'warn', schema: metricsSchema }, async (_request, reply) => {
    return reply.type(options.registry.contentType).send(await options.registry.metrics())
  })
}
