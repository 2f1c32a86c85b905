import { PermanentError, TransientError } from '@integration-ledger/core'
import type { z } from 'zod'
import type { ContractEvent, EventContract, EventSchemas } from '../contract/contract.js'
import type { NewEvent } from './build-event.js'
import { toNewEventJson } from './event-json.js'

export interface IngestClientOptions {
  /** Base URL of the ingest service, e.g. http://127.0.0.1:8080 */
  url: string
  /** A token listed in the ingest service's INGEST_EVENT_TOKENS. */
  token: string
  /** @default 10000 */
  timeoutMs?: number
}

/** The ingest service's answer: `replayed` when the Idempotency-Key had been used before. */
export interface PostEventResult {
  eventId: string
  replayed: boolean
}

/**
 * Publishes events over HTTP through the ingest service's `POST /events`, for services that
 * should not hold Kafka and registry connections. Send the same `idempotencyKey` when retrying
 * so the event is published once.
 */
export class IngestClient {
  readonly #options: IngestClientOptions

  constructor(options: IngestClientOptions) {
    this.#options = options
  }

  /**
   * Posts an event of contract type `type` after validating its payload against the type's schema
   * (as the JSON consumers will read), so the ingest service only ever sees payloads its
   * consumers accept.
   * @throws PermanentError VALIDATION_FAILED, before any request, when the payload fails the
   *   schema; otherwise as `postEvent`.
   */
  async postTyped<S extends EventSchemas, T extends keyof S & string>(
    contract: EventContract<S>,
    type: T,
    event: ContractEvent<z.input<S[T]>>,
    idempotencyKey: string,
  ): Promise<PostEventResult> {
    return this.postEvent(contract.newEvent(type, event), idempotencyKey)
  }

  /**
   * @throws TransientError (retry with the same key) on 5xx, 409 in progress and network errors;
   *   PermanentError VALIDATION_FAILED / CONFLICT / UNAUTHORIZED / FORBIDDEN (the token may not
   *   write this source or entity type) otherwise.
   */
  async postEvent(event: NewEvent, idempotencyKey: string): Promise<PostEventResult> {
    let response: Response
    try {
      response = await fetch(new URL('/events', this.#options.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.#options.token}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(toNewEventJson(event)),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      })
    } catch (err) {
      throw new TransientError(
        'PROVIDER_UNAVAILABLE',
        'Ingest service unreachable; retry with the same key.',
        {
          cause: err,
        },
      )
    }
    const body = (await response.json().catch(() => ({}))) as {
      eventId?: string
      error?: string
      message?: string
    }
    if (response.ok && body.eventId) {
      return { eventId: body.eventId, replayed: response.headers.get('idempotent-replayed') === 'true' }
    }
    const message = `POST /events answered ${response.status}: ${body.message ?? 'no message'}`
    const retryAfter = Number(response.headers.get('retry-after') ?? '')
    const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined
    if (response.status >= 500 || response.status === 429 || retryAfterMs !== undefined) {
      throw new TransientError('PROVIDER_UNAVAILABLE', message, retryAfterMs ? { retryAfterMs } : {})
    }
    const codes: Record<number, 'UNAUTHORIZED' | 'FORBIDDEN' | 'CONFLICT'> = {
      401: 'UNAUTHORIZED',
      403: 'FORBIDDEN',
      409: 'CONFLICT',
    }
    const code = codes[response.status] ?? 'VALIDATION_FAILED'
    throw new PermanentError(code, message)
  }
}
