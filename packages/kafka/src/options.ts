import { z } from 'zod'

/** Options of the kafkajs transport, validated once when the transport is created. */
export const kafkaTransportOptionsSchema = z.object({
  /** `host:port` list. */
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1),
  /** @default 'integration-ledger' */
  clientId: z.string().min(1).default('integration-ledger'),
  /** @default 3000 */
  connectionTimeoutMs: z.number().int().positive().default(3000),
  /** @default 10000 */
  requestTimeoutMs: z.number().int().positive().default(10000),
  /**
   * Longest wait between the client's own reconnect attempts; kept short so a producer notices a
   * returning broker within about a second.
   * @default 1000
   */
  maxRetryTimeMs: z.number().int().positive().default(1000),
  /**
   * Compression of produced record batches (`gzip` is built into kafkajs). Off by default: see
   * test/bench/BENCHMARKS.md (compression) for what it saves and costs. With it the broker checks
   * `max.message.bytes` against the compressed batch, so the byte bounds, which count uncompressed
   * bytes, stay on the safe side.
   * @default 'none'
   */
  compression: z.enum(['none', 'gzip']).default('none'),
})

export type KafkaTransportOptions = z.input<typeof kafkaTransportOptionsSchema>
export type ResolvedKafkaTransportOptions = z.output<typeof kafkaTransportOptionsSchema>
