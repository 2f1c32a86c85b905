import { setTimeout as sleep } from 'node:timers/promises'
import {
  LedgerError,
  type LedgerEvent,
  type Logger,
  describeError,
  findLedgerError,
  isRetryable,
  silentLogger,
} from '@integration-ledger/core'
import type { IncomingRecord, KafkaTransport } from '@integration-ledger/kafka'
import { toDatabaseError } from '@integration-ledger/postgres'
import type { EnvelopeCodec } from '@integration-ledger/registry'
import {
  type OffsetRange,
  RETRY_HEADERS,
  dlqTopicName,
  readRanges,
  readRetryState,
  topicRanges,
} from '@integration-ledger/sdk'
import type pg from 'pg'
import { type Checkout, checkout } from './checkout.js'
import { DlqIndexStore, type IndexRow } from './index-store.js'
import type { DlqRecordView } from './types.js'

/** First key of the advisory lock that lets one process at a time index a DLQ (second key: the group). */
const INDEX_LOCK_CLASS = 7_315_005

export interface DlqIndexerOptions {
  transport: KafkaTransport
  codec: EnvelopeCodec
  pool: pg.Pool
  logger?: Logger
}

export interface CatchUpOptions {
  /**
   * Give up after this long; what was indexed so far is kept and the next catch-up goes on from there.
   * @default 30000
   */
  timeoutMs?: number
}

/**
 * Keeps `dlq_index` in step with the DLQ topics. The topic is the truth and the index is derived:
 * a catch-up reads each partition from the last indexed offset (kept in PostgreSQL, in the same
 * transaction as the rows) up to the high watermark seen when it started. Nothing is written from
 * the retry router, so a PostgreSQL outage while records are dead-lettered loses nothing: the
 * records wait in Kafka and the next catch-up indexes them. Reads call `catchUp` first, which costs
 * one watermark request when nothing is new.
 */
export class DlqIndexer {
  readonly #o: DlqIndexerOptions
  readonly #store: DlqIndexStore
  readonly #logger: Logger
  /** Concurrent reads of one group in this process share a catch-up. */
  readonly #running = new Map<string, Promise<number>>()

  constructor(options: DlqIndexerOptions) {
    this.#o = options
    this.#store = new DlqIndexStore(options.pool)
    this.#logger = options.logger ?? silentLogger
  }

  /**
   * Indexes the group's DLQ records dead-lettered since the last catch-up; returns how many it
   * indexed. NOT_FOUND when the DLQ topic does not exist.
   */
  catchUp(group: string, options: CatchUpOptions = {}): Promise<number> {
    const running = this.#running.get(group)
    if (running) return running
    const started = this.#catchUp(group, options.timeoutMs ?? 30_000, false).finally(() =>
      this.#running.delete(group),
    )
    this.#running.set(group, started)
    return started
  }

  /** Re-indexes the group's whole DLQ from Kafka (rows are rewritten, actions kept); returns how many. */
  async rebuild(group: string, options: CatchUpOptions = {}): Promise<number> {
    await this.#running.get(group)?.catch(() => {})
    return this.#catchUp(group, options.timeoutMs ?? 30_000, true)
  }

  async #catchUp(group: string, timeoutMs: number, rebuild: boolean): Promise<number> {
    const deadline = Date.now() + timeoutMs
    const topic = dlqTopicName(group)
    const ends = await topicRanges(this.#o.transport, topic)
    if (!rebuild && (await this.#behind(group, ends)).size === 0) return 0

    const lock = await this.#lock(group, deadline)
    let indexed = 0
    try {
      // Under the lock, so no other indexer moves the positions on again meanwhile.
      if (rebuild) await this.#store.resetPositions(group)
      // Another process may have indexed while this one waited for the lock.
      const behind = await this.#behind(group, ends)
      await readRanges(this.#o.transport, topic, behind, {
        groupId: `ledger.dlq-indexer.${group}`,
        commit: true,
        timeoutMs: Math.max(1, deadline - Date.now()),
        onRecords: async (partition, records) => {
          const rows = await Promise.all(records.map((r) => this.#row(r)))
          await this.#store.write(group, partition, rows, BigInt(records.at(-1)!.offset) + 1n)
          indexed += rows.length
        },
      })
    } catch (err) {
      this.#logger.warn(
        { err, group, indexed },
        'DLQ index catch-up stopped; the next read goes on from here',
      )
      if (findLedgerError(err)?.code !== 'BROKER_TIMEOUT') throw err
      throw new LedgerError(
        'BROKER_TIMEOUT',
        `Indexing the DLQ of group "${group}" did not finish within ${timeoutMs} ms (${indexed} records indexed now, kept); ` +
          `retry, or index a large backlog with \`npm run dlq -- reindex --group ${group}\`.`,
        { retryable: true, cause: err },
      )
    } finally {
      await lock.client
        .query('SELECT pg_advisory_unlock($1, hashtext($2))', [INDEX_LOCK_CLASS, group])
        .catch(() => {})
      lock.release()
    }
    this.#logger.info({ group, indexed }, 'DLQ index caught up')
    return indexed
  }

  /** Partitions with records past the indexed position, as ranges to read. */
  async #behind(group: string, ends: ReadonlyMap<number, OffsetRange>): Promise<Map<number, OffsetRange>> {
    const positions = await this.#store.positions(group)
    const behind = new Map<number, OffsetRange>()
    for (const [partition, stored] of ends) {
      const position = positions.get(partition) ?? 0n
      // Records below the low watermark are gone from Kafka (only if someone deleted them: DLQs are kept forever).
      const from = position > stored.from ? position : stored.from
      if (stored.end > from) behind.set(partition, { from, end: stored.end })
    }
    return behind
  }

  /** A connection holding the group's index lock; waits for another indexer until `deadline`. */
  async #lock(group: string, deadline: number): Promise<Checkout> {
    const held = await checkout(this.#o.pool, 'connecting to index the DLQ')
    try {
      for (;;) {
        const { rows } = await held.client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
          [INDEX_LOCK_CLASS, group],
        )
        if (rows[0]?.locked) return held
        if (Date.now() > deadline) {
          throw new LedgerError(
            'BROKER_TIMEOUT',
            `Another process is indexing the DLQ of group "${group}"; retry in a moment.`,
            { retryable: true },
          )
        }
        await sleep(200)
      }
    } catch (err) {
      held.release()
      throw toDatabaseError(err, 'locking the DLQ index')
    }
  }

  async #row(record: IncomingRecord): Promise<IndexRow> {
    const state = readRetryState(record)
    let event: IndexRow['event'] = null
    let decodeError: string | null = null
    let decoded: LedgerEvent | undefined
    try {
      decoded = await this.#o.codec.decode(record.value ?? Buffer.alloc(0))
    } catch (err) {
      // A registry outage says nothing about the record: stop here and index it on the next catch-up.
      if (isRetryable(err)) throw err
      decodeError = describeError(err).message
    }
    try {
      if (decoded) event = summary(decoded)
    } catch (err) {
      decodeError = describeError(err).message
    }
    return {
      partition: record.partition,
      offset: record.offset,
      key: record.key?.toString() ?? null,
      deadLetteredAt: new Date(record.timestamp),
      originalTopic: state.origin.topic,
      originalPartition: state.origin.partition,
      originalOffset: state.origin.offset,
      attempt: state.attempt,
      failureKind: state.failureKind ?? null,
      errorClass: state.errorClass ?? null,
      errorMessage: state.errorMessage ?? null,
      firstFailureAt: record.headers[RETRY_HEADERS.firstFailureAt] ?? null,
      headers: record.headers,
      valueBytes: record.value?.length ?? 0,
      event,
      decodeError,
    }
  }
}

function summary(event: LedgerEvent): NonNullable<DlqRecordView['event']> {
  return {
    eventId: event.eventId,
    source: event.source,
    type: event.type,
    entityType: event.entityType,
    entityId: event.entityId,
    entityVersion: event.entityVersion,
    occurredAt: event.occurredAt.toISOString(),
    bodyBytes: event.rawBody.length,
  }
}
