import { TransientError } from '@integration-ledger/core'
import type { SourceConfig } from '@integration-ledger/providers'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { meterBody } from '../guards/body-limit.js'
import { UNKNOWN_SOURCE_LABEL } from '../metrics.js'
import type { IntakeRouteDeps } from './deps.js'
import { eventRoutes } from './events.js'
import { closeUnreadBody } from './outcomes.js'
import { recoveredRoutes } from './recovered.js'
import { webhookRoutes } from './webhooks.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the overload guard admitted the request, so it is released exactly once. */
    ledgerAdmitted?: boolean
    /** Body bytes the overload guard holds for this request, released with its slot. */
    ledgerBodyBytes?: number
    /** The webhook source the URL names, looked up once before the body is read. */
    ledgerSource?: SourceConfig
  }
}

/**
 * The intake scope: POST /webhooks/:source, POST /events and POST /recovered/:source. Bodies are read as bytes (signatures
 * and idempotency hashes are over the exact bytes), and the overload guard sheds requests with
 * 503 before any work is done for them.
 */
export async function intakeRoutes(app: FastifyInstance, deps: IntakeRouteDeps): Promise<void> {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  const release = (request: FastifyRequest) => {
    if (!request.ledgerAdmitted) return
    request.ledgerAdmitted = false
    deps.guard.releaseBytes(request.ledgerBodyBytes ?? 0)
    deps.metrics.inFlightBodyBytes.dec(request.ledgerBodyBytes ?? 0)
    request.ledgerBodyBytes = 0
    deps.guard.leave()
    deps.metrics.inFlight.dec()
  }
  const overloaded = (request: FastifyRequest, reason: string) => {
    const name = (request.params as { source?: string } | undefined)?.source
    const source = name !== undefined && deps.sources.get(name) ? name : UNKNOWN_SOURCE_LABEL
    deps.metrics.rejected.inc({ source, reason: 'overloaded' })
    return new TransientError('OVERLOADED', `Ingest is overloaded (${reason}); retry shortly.`, {
      retryAfterMs: 1000,
    })
  }
  app.addHook('onRequest', async (request, reply) => {
    const admission = deps.guard.enter()
    if (!admission.ok) throw overloaded(request, admission.reason)
    request.ledgerAdmitted = true
    deps.metrics.inFlight.inc()
    // An announced body is held for in full before it is read, so a refusal costs only the headers.
    const announced = Number(request.headers['content-length'] ?? 0)
    if (Number.isSafeInteger(announced) && announced > 0) {
      const held = deps.guard.reserveBytes(announced)
      if (!held.ok) {
        closeUnreadBody(reply)
        throw overloaded(request, held.reason)
      }
      request.ledgerBodyBytes = announced
      deps.metrics.inFlightBodyBytes.inc(announced)
    }
  })
  app.addHook('preParsing', async (request, reply, payload) => {
    if (request.headers['content-length'] !== undefined) return payload
    // A body without Content-Length is held for as it arrives.
    return meterBody(payload, (bytes) => {
      const held = deps.guard.reserveBytes(bytes)
      if (held.ok) {
        request.ledgerBodyBytes = (request.ledgerBodyBytes ?? 0) + bytes
        deps.metrics.inFlightBodyBytes.inc(bytes)
        return undefined
      }
      closeUnreadBody(reply)
      return overloaded(request, held.reason)
    })
  })
  app.addHook('onResponse', async (request) => release(request))
  app.addHook('onRequestAbort', async (request) => release(request))

  await app.register(webhookRoutes, deps)
  if (deps.eventClients.size > 0) await app.register(eventRoutes, deps)
  if (deps.recoveryTokens.length > 0) await app.register(recoveredRoutes, deps)
}
