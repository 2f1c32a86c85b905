import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'

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
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))

  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
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

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    return reply.type(options.registry.contentType).send(await options.registry.metrics())
  })
}
