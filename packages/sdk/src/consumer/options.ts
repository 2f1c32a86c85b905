import { LedgerError, findLedgerError } from '@integration-ledger/core'
import { z } from 'zod'
import { DEFAULT_RETRY_TIERS, type RetryTier } from '../topology.js'
import type { FatalCrashPolicy, SubscribeOptions } from './types.js'

const tierSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'tier names become topic names: letters, digits, _ and - only'),
  delayMs: z.number().int().min(0),
})

/** The numeric and naming parts of `SubscribeOptions`, validated when `subscribe` is called. */
const policySchema = z
  .object({
    groupId: z.string().min(1),
    topics: z.array(z.string().min(1)).min(1),
    tiers: z
      .array(tierSchema)
      .min(1)
      .default([...DEFAULT_RETRY_TIERS]),
    maxAttempts: z.number().int().min(0).optional(),
    initialBackoffMs: z.number().int().positive().default(1000),
    maxBackoffMs: z.number().int().positive().default(30_000),
    topicPartitions: z.number().int().positive().default(6),
    partitionsConsumedConcurrently: z.number().int().positive().default(1),
    prefetchBatches: z.boolean().default(false),
    sessionTimeoutMs: z.number().int().positive().default(30_000),
    fatalCrash: z
      .object({
        policy: z.enum(['recreate', 'fail']).default('recreate'),
        initialBackoffMs: z.number().int().positive().default(1000),
        maxBackoffMs: z.number().int().positive().default(30_000),
      })
      .refine((o) => o.maxBackoffMs >= o.initialBackoffMs, {
        message: 'maxBackoffMs must be at least initialBackoffMs',
        path: ['maxBackoffMs'],
      })
      .default({ policy: 'recreate', initialBackoffMs: 1000, maxBackoffMs: 30_000 }),
  })
  .refine((o) => o.maxBackoffMs >= o.initialBackoffMs, {
    message: 'sinkBreaker.maxBackoffMs must be at least sinkBreaker.initialBackoffMs',
    path: ['maxBackoffMs'],
  })
  .refine((o) => new Set(o.tiers.map((t) => t.name)).size === o.tiers.length, {
    message: 'retry tier names must be unique',
    path: ['tiers'],
  })

export interface ResolvedPolicy {
  groupId: string
  topics: string[]
  tiers: RetryTier[]
  maxAttempts: number
  initialBackoffMs: number
  maxBackoffMs: number
  topicPartitions: number
  partitionsConsumedConcurrently: number
  prefetchBatches: boolean
  sessionTimeoutMs: number
  fatalCrash: Required<FatalCrashPolicy>
  isSinkDown: (err: unknown) => boolean
}

/** Error codes that mean the handler's dependency is down, not that the record is bad. */
const OUTAGE_CODES = new Set(['DATABASE_UNAVAILABLE', 'REGISTRY_UNAVAILABLE'])

/** @default predicate of the sink breaker. */
export function defaultIsSinkDown(err: unknown): boolean {
  const code = findLedgerError(err)?.code
  return code !== undefined && OUTAGE_CODES.has(code)
}

/** Validates `subscribe` options; a bad value fails with CONFIG_INVALID naming the option. */
export function resolveSubscribeOptions(options: SubscribeOptions): ResolvedPolicy {
  if (!options.handleBatch && !options.handleEvent) {
    throw new LedgerError('CONFIG_INVALID', 'subscribe: give handleBatch or handleEvent.')
  }
  const parsed = policySchema.safeParse({
    groupId: options.groupId,
    topics: [...options.topics],
    tiers: options.retry?.tiers ? [...options.retry.tiers] : undefined,
    maxAttempts: options.retry?.maxAttempts,
    initialBackoffMs: options.sinkBreaker?.initialBackoffMs,
    maxBackoffMs: options.sinkBreaker?.maxBackoffMs,
    topicPartitions: options.topicPartitions,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    prefetchBatches: options.prefetchBatches,
    sessionTimeoutMs: options.sessionTimeoutMs,
    fatalCrash: options.fatalCrash,
  })
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(options)'}: ${i.message}`)
    throw new LedgerError('CONFIG_INVALID', `subscribe: invalid options:\n${problems.join('\n')}`)
  }
  const p = parsed.data
  return {
    ...p,
    maxAttempts: p.maxAttempts ?? p.tiers.length,
    isSinkDown: options.sinkBreaker?.isSinkDown ?? defaultIsSinkDown,
  }
}
