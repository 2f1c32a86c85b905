// Storm events (projector-support.ts) delivered as signed webhooks through ingest's HTTP route, so
// a test or the soak drives the whole pipeline (verify → dedup claim → Kafka → projector) and keeps
// the storm's oracle: a generic HMAC source maps each delivery back onto exactly its storm event
// (same event ID, entity, version and body).
import { Agent, request } from 'node:http'
import type { LedgerEvent } from '@integration-ledger/core'
import { signHmac } from '@integration-ledger/testing'
import { STORM_SOURCE } from './projector-support.js'

const SECRET = 'storm-hmac-secret-0123456789abcdef'
const HMAC = { header: 'X-Storm-Signature', algorithm: 'sha256', encoding: 'hex' } as const
const EVENT_ID_HEADER = 'x-storm-event-id'

/** The sources-file lines (`writeSourcesFile`) of the storm's source, producing to `topic`. */
export function stormSourceLines(topic: string): string[] {
  return [
    `  - name: ${STORM_SOURCE}`,
    '    kind: hmac',
    `    secrets: ["${SECRET}"]`,
    `    topic: ${topic}`,
    `    hmac: { header: ${HMAC.header}, algorithm: ${HMAC.algorithm}, encoding: ${HMAC.encoding} }`,
    `    eventId: header:${EVENT_ID_HEADER}`,
    '    eventType: account.updated',
    '    entity: { type: account, id: /id, version: /version }',
  ]
}

/** How a delivery ended: ingest's final 2xx status and whether it was recognised as a re-send. */
export interface DeliveryAnswer {
  status: number
  duplicate: boolean
  /** Answers before this one that asked to retry (503, 429) or connections that failed. */
  retries: number
}

interface Answer {
  status: number
  body: string
  retryAfter?: string
}

/**
 * Posts storm events to ingest's webhook route over kept-alive connections, as a provider
 * would: signed over the exact body, and retried while ingest answers 503 or 429 (Retry-After,
 * else 200 ms) or the connection fails, so every event ends accepted. Any other answer throws.
 */
export class StormSender {
  readonly #url: URL
  readonly #agent: Agent

  constructor(ingestUrl: string, options: { connections?: number } = {}) {
    this.#url = new URL(`/webhooks/${STORM_SOURCE}`, ingestUrl)
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.connections ?? 64 })
  }

  async deliver(event: LedgerEvent): Promise<DeliveryAnswer> {
    for (let retries = 0; ; retries++) {
      const answer = await this.#post(event).catch((err: unknown): Answer => ({
        status: 0,
        body: String(err),
      }))
      if (answer.status === 200 || answer.status === 202) {
        const { duplicate } = JSON.parse(answer.body) as { duplicate?: boolean }
        return { status: answer.status, duplicate: duplicate === true, retries }
      }
      if (answer.status !== 0 && answer.status !== 503 && answer.status !== 429) {
        throw new Error(`ingest answered ${answer.status} to ${event.providerEventId}: ${answer.body}`)
      }
      const retryAfter = Number(answer.retryAfter)
      await new Promise((resolve) => setTimeout(resolve, retryAfter > 0 ? retryAfter * 1000 : 200))
    }
  }

  /** Delivers every event, `inFlight` at a time, in order of the list. */
  async deliverAll(events: readonly LedgerEvent[], inFlight = 50): Promise<DeliveryAnswer[]> {
    const answers: DeliveryAnswer[] = []
    for (let i = 0; i < events.length; i += inFlight) {
      answers.push(...(await Promise.all(events.slice(i, i + inFlight).map((e) => this.deliver(e)))))
    }
    return answers
  }

  close(): void {
    this.#agent.destroy()
  }

  #post(event: LedgerEvent): Promise<Answer> {
    const body = event.rawBody
    const headers = {
      'content-type': 'application/json',
      'content-length': String(body.length),
      [EVENT_ID_HEADER]: event.providerEventId,
      ...signHmac({ body, secret: SECRET, options: HMAC }),
    }
    return new Promise((resolve, reject) => {
      const req = request(this.#url, { method: 'POST', agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const retryAfter = res.headers['retry-after']
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(retryAfter === undefined ? {} : { retryAfter }),
          })
        })
      })
      req.on('error', reject)
      req.end(body)
    })
  }
}
