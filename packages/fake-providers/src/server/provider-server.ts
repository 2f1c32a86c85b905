import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Clock } from '@integration-ledger/core'
import { handleControl } from './control.js'
import { type FaultAction, FaultSchedule, retryAfterValue } from './faults.js'
import { type LoggedRequest, RequestLog } from './request-log.js'
import type { FakeReply, FakeRequest, ProviderHandler } from './types.js'

/** Bodies above this are refused with 413 before any provider logic runs. */
const MAX_BODY_BYTES = 1024 * 1024

/** Where control requests go; the real providers have no such path. */
export const CONTROL_PREFIX = '/_fake/'

export interface ProviderServerOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 0 */
  port?: number
  clock: Clock
}

/**
 * One provider fake on its own origin. Built on node:http rather than fastify because the faults
 * need the raw socket: dropping a connection after the request was processed, or holding the body
 * after the headers went out, is below what a framework's reply lifecycle exposes.
 *
 * A request goes: control routes → injected fault → the provider's handler (auth, limits, data)
 * → answer, with every step recorded in the request log.
 */
export class ProviderServer<H extends ProviderHandler = ProviderHandler> {
  readonly faults: FaultSchedule
  readonly log: RequestLog
  private readonly server: Server
  private origin: string | undefined

  constructor(
    readonly handler: H,
    private readonly options: ProviderServerOptions,
  ) {
    this.faults = new FaultSchedule(options.clock)
    this.log = new RequestLog(handler.name)
    this.server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: `fake ${handler.name} failed: ${String(err)}` }))
      })
    })
  }

  /** Starts listening; resolves to the base URL (`http://127.0.0.1:PORT`). */
  async listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    const { port } = this.server.address() as AddressInfo
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    return this.origin
  }

  /** The base URL; only after `listen()`. */
  get baseUrl(): string {
    if (this.origin === undefined) throw new Error(`The fake ${this.handler.name} is not listening yet.`)
    return this.origin
  }

  async close(): Promise<void> {
    if (!this.server.listening) return
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
  }

  private async serve(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(raw)
    const req: FakeRequest = {
      method: (raw.method ?? 'GET').toUpperCase(),
      url: new URL(raw.url ?? '/', this.baseUrl),
      headers: raw.headers,
      body: body ?? Buffer.alloc(0),
    }
    if (req.url.pathname.startsWith(CONTROL_PREFIX)) {
      await write(res, await handleControl(this, req), undefined)
      return
    }
    const entry = this.log.start(req.method, raw.url ?? '/', raw.headers, this.options.clock.now())
    const finish = this.handler.begin?.(req)
    try {
      if (body === undefined) {
        await this.answer(res, entry, req, {
          status: 413,
          body: { error: 'Request bodies above 1 MiB are refused.' },
        })
        return
      }
      const fault = this.faults.take(req)
      entry.fault = fault?.kind
      const early = this.beforeProcessing(fault, req)
      if (early === 'drop') {
        entry.outcome = 'dropped-before-processing'
        raw.socket.destroy()
        return
      }
      if (early !== undefined) {
        await this.answer(res, entry, req, early)
        return
      }
      if (fault?.kind === 'delay' && fault.phase !== 'body') await sleep(fault.ms)
      const reply = await this.handler.handle(req)
      entry.operation = reply.operation
      entry.replayed = reply.replayed ?? false
      if (fault?.kind === 'drop-after-processing') {
        entry.outcome = 'dropped-after-processing'
        raw.socket.destroy()
        return
      }
      await this.answer(
        res,
        entry,
        req,
        reply,
        fault?.kind === 'delay' && fault.phase === 'body' ? fault.ms : undefined,
      )
    } finally {
      finish?.()
    }
  }

  /** The answer an injected fault gives instead of processing, `drop`, or undefined to go on. */
  private beforeProcessing(fault: FaultAction | undefined, req: FakeRequest): FakeReply | 'drop' | undefined {
    if (fault === undefined) return undefined
    const now = this.options.clock.now()
    switch (fault.kind) {
      case 'drop-before-processing':
        return 'drop'
      case 'status': {
        const reply = this.handler.statusReply(req, fault.status)
        const headers = { ...reply.headers, ...fault.headers }
        if (fault.retryAfter !== undefined) headers['retry-after'] = retryAfterValue(fault.retryAfter, now)
        return { ...reply, headers }
      }
      case 'rate-limited': {
        const reply = this.handler.rateLimitedReply(req, fault.retryAfter?.seconds)
        if (fault.retryAfter === undefined) return reply
        return {
          ...reply,
          headers: { ...reply.headers, 'retry-after': retryAfterValue(fault.retryAfter, now) },
        }
      }
      default:
        return undefined
    }
  }

  private async answer(
    res: ServerResponse,
    entry: LoggedRequest,
    req: FakeRequest,
    reply: FakeReply,
    bodyDelayMs?: number,
  ): Promise<void> {
    entry.status = reply.status
    entry.outcome = 'answered'
    await write(
      res,
      { ...reply, headers: { ...this.handler.commonHeaders(req), ...reply.headers } },
      bodyDelayMs,
    )
  }
}

async function write(res: ServerResponse, reply: FakeReply, bodyDelayMs: number | undefined): Promise<void> {
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body)
  const headers: Record<string, string> = { ...reply.headers }
  if (reply.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json; charset=utf-8'
  }
  headers['content-length'] = String(Buffer.byteLength(text))
  res.writeHead(reply.status, headers)
  if (bodyDelayMs !== undefined) {
    res.flushHeaders()
    await sleep(bodyDelayMs)
  }
  res.end(text)
}

/** The whole body, or undefined when it is larger than the fakes accept. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  let tooLarge = false
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) tooLarge = true
    else chunks.push(chunk)
  }
  return tooLarge ? undefined : Buffer.concat(chunks)
}
