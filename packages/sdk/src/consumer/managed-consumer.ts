import type { Logger } from '@integration-ledger/core'
import type {
  ConsumerRunOptions,
  ConsumerTransport,
  KafkaTransport,
  TopicPartitionOffset,
  TopicPartitions,
} from '@integration-ledger/kafka'
import { ExponentialBackoff, type IBackoff } from 'cockatiel'
import type { ConsumerMetrics } from './metrics.js'
import type { ResolvedPolicy } from './options.js'
import type { ConsumerState } from './types.js'

export interface ManagedConsumerOptions {
  transport: KafkaTransport
  policy: ResolvedPolicy
  /** Event topics and retry topics. */
  topics: readonly string[]
  fromBeginning: boolean
  eachBatch: ConsumerRunOptions['eachBatch']
  /** Partitions this member now owns (after each join). */
  onAssign: (assignment: TopicPartitions[]) => void
  /** Before a dead consumer is replaced: forget what was tied to it (its paused partitions). */
  onReplace: () => void
  onStateChange?: (state: ConsumerState, err?: unknown) => void
  metrics: ConsumerMetrics | undefined
  logger: Logger
}

/**
 * The subscription's group member, kept alive. kafkajs restarts its consumer after a retriable
 * crash, but after a non-retriable one (`restart: false`, e.g. the broker refusing the join) the
 * consumer is dead for good while everything around it looks fine. This class makes that visible
 * (`state`, `ledger_consumer_consuming`, `ledger_consumer_crashes_total`) and applies the
 * subscription's `fatalCrash` policy: build a new consumer after a backoff (exponential with
 * jitter, reset once it consumes), or enter `failed` for the service to exit on.
 */
export class ManagedConsumer implements Pick<ConsumerTransport, 'pause' | 'resume' | 'seek' | 'commit'> {
  readonly #o: ManagedConsumerOptions
  readonly #backoffFactory: ExponentialBackoff<unknown>
  #current: ConsumerTransport | undefined
  /** Events of a replaced consumer are ignored: only the latest one speaks for the member. */
  #generation = 0
  #state: ConsumerState = 'joining'
  #backoff: IBackoff<unknown> | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(options: ManagedConsumerOptions) {
    this.#o = options
    const { initialBackoffMs, maxBackoffMs } = options.policy.fatalCrash
    this.#backoffFactory = new ExponentialBackoff({ initialDelay: initialBackoffMs, maxDelay: maxBackoffMs })
  }

  get state(): ConsumerState {
    return this.#state
  }

  /** Connects, subscribes and runs the first consumer; throws as a start-up does (broker unreachable). */
  async start(): Promise<void> {
    await this.#run()
  }

  pause(partitions: readonly TopicPartitions[]): void {
    this.#consumer().pause(partitions)
  }

  resume(partitions: readonly TopicPartitions[]): void {
    this.#consumer().resume(partitions)
  }

  seek(position: TopicPartitionOffset): void {
    this.#consumer().seek(position)
  }

  commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    return this.#consumer().commit(offsets)
  }

  /** Cancels a pending recreation; finishes the batch in flight (which commits) and leaves the group. */
  async close(): Promise<void> {
    this.#set('closed')
    clearTimeout(this.#timer)
    await this.#current?.disconnect()
  }

  #consumer(): ConsumerTransport {
    if (!this.#current) throw new Error('ManagedConsumer used before start()')
    return this.#current
  }

  async #run(): Promise<void> {
    const { policy, transport } = this.#o
    const generation = ++this.#generation
    const consumer = transport.consumer({
      groupId: policy.groupId,
      sessionTimeoutMs: policy.sessionTimeoutMs,
      events: {
        onAssign: (assignment) => {
          if (generation !== this.#generation) return
          this.#backoff = undefined
          this.#set('consuming')
          this.#o.onAssign(assignment)
        },
        onCrash: (err, { restart }) => {
          if (generation === this.#generation) this.#crashed(err, restart)
        },
      },
    })
    this.#current = consumer
    try {
      await consumer.connect()
      await consumer.subscribe(this.#o.topics, { fromBeginning: this.#o.fromBeginning })
      // Resolves once the first join is over; a join the broker refuses arrives as a crash.
      await consumer.run({
        partitionsConsumedConcurrently: policy.partitionsConsumedConcurrently,
        prefetchBatches: policy.prefetchBatches,
        eachBatch: this.#o.eachBatch,
      })
    } catch (err) {
      await consumer.disconnect().catch(() => {})
      throw err
    }
  }

  #crashed(err: unknown, restart: boolean): void {
    const { logger, metrics, policy } = this.#o
    if (this.#state === 'closed') return
    if (restart) {
      metrics?.crashed('client')
      logger.error({ err }, 'consumer crashed on a retriable error; the Kafka client restarts it')
      this.#set('restarting', err)
      return
    }
    if (policy.fatalCrash.policy === 'fail') {
      metrics?.crashed('fail')
      logger.error(
        { err },
        'consumer crashed for good (non-retriable) and the policy is to fail: nothing is consumed any more; exit so a supervisor restarts the process',
      )
      this.#set('failed', err)
      return
    }
    metrics?.crashed('recreate')
    this.#scheduleRecreate(err, 'consumer crashed for good (non-retriable); recreating it after a backoff')
  }

  #scheduleRecreate(err: unknown, message: string): void {
    this.#backoff = this.#backoff ? this.#backoff.next(undefined) : this.#backoffFactory.next()
    const delay = Math.round(this.#backoff.duration)
    this.#o.logger.error({ err, retryInMs: delay }, message)
    this.#set('recreating', err)
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#recreate(), delay)
  }

  async #recreate(): Promise<void> {
    const dead = this.#current
    try {
      // Resumes through the dead consumer, which is harmless; the new one starts unpaused.
      this.#o.onReplace()
    } catch (err) {
      this.#o.logger.warn({ err }, 'could not release the dead consumer’s paused partitions')
    }
    await dead?.disconnect().catch(() => {})
    if (this.#isClosed()) return
    try {
      await this.#run()
      // A join refused again has already been reported as the next crash.
      if (this.#state === 'consuming') this.#o.logger.info({}, 'consumer recreated and consuming again')
    } catch (err) {
      if (this.#isClosed()) return
      this.#scheduleRecreate(err, 'could not recreate the consumer; trying again after a backoff')
    }
  }

  // A method, not a field read: close() may run during any await above.
  #isClosed(): boolean {
    return this.#state === 'closed'
  }

  #set(state: ConsumerState, err?: unknown): void {
    if (this.#state === state || this.#state === 'closed') return
    this.#state = state
    this.#o.metrics?.consuming(state === 'consuming')
    try {
      this.#o.onStateChange?.(state, err)
    } catch (listenerErr) {
      this.#o.logger.warn({ err: listenerErr }, 'onStateChange listener threw')
    }
  }
}
