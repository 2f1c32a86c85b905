import { Agent } from 'undici'
import type { Answer } from './outcome.js'
import type { ProviderTimeouts } from './policy.js'

/** One HTTP exchange as the transport sends it. */
export interface WireRequest {
  url: URL
  method: string
  headers: Record<string, string>
  body?: string
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

function parseJson(text: string, contentType: string | undefined): unknown {
  if (!contentType || !/[/+]json\b/i.test(contentType)) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/**
 * undici underneath, one connection pool per provider: connect timeout on the socket,
 * `headersTimeout` until the answer's headers, `bodyTimeout` between body chunks. Redirects are
 * not followed (an API that redirects is answered as it answered).
 */
export class Transport {
  readonly #agent: Agent

  constructor(timeouts: ProviderTimeouts) {
    this.#agent = new Agent({
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
    })
  }

  /** Sends one request and reads the whole answer; throws undici's errors on transport failures. */
  async send(request: WireRequest, signal: AbortSignal): Promise<Answer> {
    const response = await this.#agent.request({
      origin: request.url.origin,
      path: `${request.url.pathname}${request.url.search}`,
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      signal,
    })
    const text = await response.body.text()
    const headers = flattenHeaders(response.headers)
    return { status: response.statusCode, headers, text, body: parseJson(text, headers['content-type']) }
  }

  async close(): Promise<void> {
    await this.#agent.close()
  }
}
