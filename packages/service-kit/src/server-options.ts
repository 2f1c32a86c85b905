import type { FastifyServerOptions } from 'fastify'
import type { HttpTimeouts } from './stack-env.js'

/**
 * How often node looks for requests past their headers or request timeout. Its default (30 s)
 * would let a slow sender overstay a 30 s request timeout by up to as much again.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000

/**
 * The fastify options that bound how long a caller may hold a connection: every service passes
 * them to `Fastify()`, so a slow sender (slow loris) is answered 408 and disconnected instead of
 * holding a request slot for minutes.
 */
export function httpServerOptions(timeouts: HttpTimeouts): Pick<
  FastifyServerOptions,
  'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout'
> & {
  http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number }
} {
  return {
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionTimeout: timeouts.connectionTimeoutMs,
    // Passed to node's http.createServer: fastify has no option of its own for these.
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, timeouts.headersTimeoutMs),
    },
  }
}
