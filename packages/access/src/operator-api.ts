import { PermanentError } from '@integration-ledger/core'
import { BearerTokens, documentSecurity, presentedBearerToken } from '@integration-ledger/service-kit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { AuditLog, AuditOutcome } from './audit-log.js'
import type { AdminIdentity, EnvToken } from './identity.js'
import type { AdminTokenStore } from './token-store.js'

/** How a state-changing route is written to the audit log. */
export interface AuditedRoute {
  /** e.g. `source.create`. */
  action: string
  /**
   * What is acted on, from the request. Its body may be absent or malformed: the request may have
   * failed before the body was read.
   */
  target(request: FastifyRequest): string
  /** Secret-free facts from the request (a reason, the records chosen); never the body as a whole. */
  details?(request: FastifyRequest): Record<string, unknown>
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every state-changing route behind `protectOperatorApi`. */
    audit?: AuditedRoute
  }
}

export interface OperatorApiOptions {
  /** Named tokens, checked when no environment token matches. */
  tokens: AdminTokenStore
  /** Tokens from the environment; the variable that holds them is named in the 401 answer. */
  envTokens: readonly EnvToken[]
  envVariable: string
  audit: AuditLog
  /** Where `ledger_admin_requests_total` is registered. */
  registry: Registry
}

/** The security scheme of the operator routes in a service's OpenAPI document. */
const OPERATOR_TOKEN_SCHEME = 'operatorToken'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

const identities = new WeakMap<FastifyRequest, AdminIdentity>()
const refused = new WeakSet<FastifyRequest>()
const addedDetails = new WeakMap<FastifyRequest, Record<string, unknown>>()

/** Who the request acts as. Only for routes behind `protectOperatorApi`, where it is always known. */
export function adminIdentity(request: FastifyRequest): AdminIdentity {
  const identity = identities.get(request)
  if (identity === undefined) throw new Error('adminIdentity() called on a route outside protectOperatorApi')
  return identity
}

/** Adds facts the handler learnt (what it created, how many records) to the request's audit row. */
export function addAuditDetails(request: FastifyRequest, details: Record<string, unknown>): void {
  addedDetails.set(request, { ...addedDetails.get(request), ...details })
}

function outcomeLabel(status: number): string {
  if (status < 400) return 'ok'
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  return status < 500 ? 'client_error' : 'server_error'
}

/**
 * Puts every route registered after it in `api` behind the operator tokens:
 * - `Authorization: Bearer <token>` must be an environment token (compared as SHA-256 digests with
 *   `timingSafeEqual` against every one, so neither length, content nor which one matched leaks
 *   through timing) or a live named token (`AdminTokenStore`); else 401;
 * - a `read-only` token is refused with 403 on every method but GET, HEAD and OPTIONS, after the
 *   body is read so the refusal is audited with its target;
 * - every state-changing route must declare `config.audit` (start-up fails otherwise, so a new route
 *   cannot skip the log), and each of its requests that authenticated is written to the audit log
 *   before the answer leaves, with the outcome: succeeded, failed (with the error code) or refused.
 *   Unauthenticated requests are counted, not logged: anyone could fill the table with them.
 * The acting identity always comes from the token, never from the request.
 */
export function protectOperatorApi(api: FastifyInstance, options: OperatorApiOptions): void {
  const envTokens = new BearerTokens<AdminIdentity>(
    options.envTokens.map((t) => ({
      token: t.token,
      value: { name: t.name, role: t.role ?? 'operator', tokenId: null },
    })),
  )
  const requests = new Counter({
    name: 'ledger_admin_requests_total',
    help: 'Requests to the operator API by route and outcome (ok, unauthorized, forbidden, client_error, server_error)',
    labelNames: ['route', 'outcome'],
    registers: [options.registry],
  })

  documentSecurity(api, {
    [OPERATOR_TOKEN_SCHEME]: {
      type: 'http',
      scheme: 'bearer',
      description: `\`Authorization: Bearer <token>\`: a live named admin token (\`npm run admin -- tokens\`, \`POST /tokens\` on admin) or a token of ${options.envVariable}. A read-only token may only GET; every other method answers 403.`,
    },
  })
  api.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.some((m) => !SAFE_METHODS.has(m)) && route.config?.audit === undefined) {
      throw new Error(
        `${methods.join(',')} ${route.url} changes state but declares no config.audit; every state-changing operator route is audited`,
      )
    }
  })

  api.addHook('onRequest', async (request) => {
    const presented = presentedBearerToken(request.headers.authorization)
    const identity = envTokens.match(presented) ?? (await options.tokens.authenticate(presented))
    if (identity === undefined) {
      throw new PermanentError(
        'UNAUTHORIZED',
        `Send "Authorization: Bearer <token>" with a live admin token (npm run admin -- tokens --help) or a token of ${options.envVariable}.`,
      )
    }
    identities.set(request, identity)
  })

  api.addHook('preHandler', async (request) => {
    const identity = adminIdentity(request)
    if (identity.role === 'read-only' && !SAFE_METHODS.has(request.method)) {
      refused.add(request)
      throw new PermanentError(
        'FORBIDDEN',
        `Token "${identity.name}" is read-only; ${request.method} ${request.routeOptions.url ?? request.url} needs an operator token.`,
      )
    }
  })

  api.addHook('onSend', async (request, reply, payload) => {
    const audit = request.routeOptions.config.audit
    const actor = identities.get(request)
    if (audit === undefined || actor === undefined || SAFE_METHODS.has(request.method)) return payload
    const status = reply.statusCode
    const outcome: AuditOutcome = status < 400 ? 'succeeded' : refused.has(request) ? 'refused' : 'failed'
    let errorCode: string | undefined
    if (status >= 400 && typeof payload === 'string') {
      try {
        errorCode = (JSON.parse(payload) as { error?: string }).error
      } catch {
        // Not the error mapper's JSON; the status says enough.
      }
    }
    const entry = {
      actor,
      action: audit.action,
      target: safely(() => audit.target(request), 'unknown'),
      outcome,
      status,
      ...(errorCode === undefined ? {} : { errorCode }),
      details: { ...safely(() => audit.details?.(request), undefined), ...addedDetails.get(request) },
      correlationId: request.id,
    }
    try {
      await options.audit.record(entry)
    } catch (err) {
      // The action has happened (or failed) already; the answer must say so. The log line keeps
      // the entry for whoever reconciles the audit log after a database outage.
      request.log.error({ err, audit: entry }, 'could not write the audit log; the entry is in this log line')
    }
    return payload
  })

  api.addHook('onResponse', async (request, reply) => {
    requests.inc({ route: request.routeOptions.url ?? 'unmatched', outcome: outcomeLabel(reply.statusCode) })
  })
}

/** A target or details function that throws on a malformed body must not lose the audit row. */
function safely<T>(fn: () => T, fallback: T): T {
  try {
    return fn()
  } catch {
    return fallback
  }
}
