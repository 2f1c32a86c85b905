import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '@integration-ledger/core'
import { Registry } from 'prom-client'
import {
  OutboundClient,
  derivePolicy,
  type ProviderPolicy,
  type ProviderPolicyOverrides,
} from '@integration-ledger/outbound'

export interface CleanupHost {
  after(fn: () => Promise<void> | void): void
}

/** A request as the test server saw it. */
export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type Handler = (request: SeenRequest, res: ServerResponse, req: IncomingMessage) => unknown

/** A real HTTP server on loopback, closed after the test; records every request it read. */
export async function startServer(
  t: CleanupHost,
  handler: Handler,
): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      seen.push(request)
      void Promise.resolve(handler(request, res, req)).catch((err: unknown) => {
        res.statusCode = 500
        res.end(String(err))
      })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return `http://127.0.0.1:${port}`
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** Short timings so the suite waits milliseconds, not the production seconds. */
export const FAST: ProviderPolicyOverrides = {
  retry: { baseDelayMs: 5, maxDelayMs: 20 },
  timeouts: { connectMs: 1_000, headersMs: 2_000, bodyMs: 2_000, attemptMs: 5_000 },
}

/** A logger that keeps every line, to assert what was (not) logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  const make = (bindings: Record<string, unknown>): Logger => {
    const write = (obj: object, msg?: string) => {
      lines.push(JSON.stringify({ ...bindings, ...obj, msg }))
    }
    return {
      debug: write,
      info: write,
      warn: write,
      error: write,
      child: (more) => make({ ...bindings, ...more }),
    }
  }
  return { logger: make({}), lines }
}

export const SECRET = 'sk_test_51SuperSecretValue0123456789'

/** A client for `base` pointed at `url`, closed after the test. */
export function clientFor(
  t: CleanupHost,
  base: ProviderPolicy,
  url: string,
  overrides: ProviderPolicyOverrides = {},
  logger?: Logger,
): { client: OutboundClient; registry: Registry; policy: ProviderPolicy } {
  const policy = derivePolicy(base, {
    ...FAST,
    ...overrides,
    baseUrl: url,
    retry: { ...FAST.retry, ...overrides.retry },
    timeouts: { ...FAST.timeouts, ...overrides.timeouts },
  })
  const registry = new Registry()
  const client = new OutboundClient({
    policy,
    credentials: () => SECRET,
    registry,
    ...(logger ? { logger } : {}),
  })
  t.after(() => client.close())
  return { client, registry, policy }
}

/** The value of one series in the registry's text exposition, or undefined. */
export async function metricValue(registry: Registry, series: string): Promise<number | undefined> {
  const text = await registry.metrics()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}
