import { TransientError } from '@ledger/core'
import type { SourceConfig } from '@ledger/providers'
import type { FastifyInstance } from 'fastify'
import { UNKNOWN_SOURCE_LABEL } from '../metrics.js'
import type { IntakeRouteDeps } from './deps.js'
import { eventRoutes } from './events.js'
import { webhookRoutes } from './webhooks.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the overload guard admitted the request, so it is released exactly once. */
    ledgerAdmitted?: boolean
    /** The webhook source the URL names, looked up once before the body is read. */
    ledgerSource?: SourceConfig
  }
}

/**
 * The intake scope: POST /webhooks/:source and POST /events. Bodies are read as bytes (signatures
 * and idempotency hashes are over the exact bytes), and the overload guard sheds requests with
 * 503 before any work is done for them.
 */
export async function intakeRoutes(app: FastifyInstance, deps: IntakeRouteDeps): Promise<void> {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  const release = (request: { ledgerAdmitted?: boolean }) => {
    if (!request.ledgerAdmitted) return
    request.ledgerAdmitted = false
    deps.guard.leave()
    deps.metrics.inFlight.dec()
  }
  app.addHook('onRequest', async (request) => {
    const admission = deps.guard.enter()
    if (!admission.ok) {
      const name = (request.params as { source?: string } | undefined)?.source
      const source = name !== undefined && deps.sources.get(name) ? name : UNKNOWN_SOURCE_LABEL
      deps.metrics.rejected.inc({ source, reason: 'overloaded' })
      throw new TransientError('OVERLOADED', `Ingest is overloaded (${admission.reason}); retry shortly.`, {
        retryAfterMs: 1000,
      })
    }
    request.ledgerAdmitted = true
    deps.metrics.inFlight.inc()
  })
  app.addHook('onResponse', async (request) => release(request))
  app.addHook('onRequestAbort', async (request) => release(request))

  await app.register(webhookRoutes, deps)
  if (deps.eventClients.size > 0) await app.register(eventRoutes, deps)
}
