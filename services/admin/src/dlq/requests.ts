import type { DlqFilter, DlqRecordRef, DlqSelection } from '@integration-ledger/dlq'
import { z } from 'zod'

/** An ISO 8601 time in a query string or a flag, as a Date. */
export const isoTime = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'expected an ISO 8601 time, e.g. 2025-01-31T12:00:00Z')
  .transform((value) => new Date(value))

/** DLQ filters as the API query string and the CLI flags give them. */
export const dlqFilterSchema = z.object({
  source: z.string().min(1).optional(),
  errorClass: z.string().min(1).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  /** @default 'all' */
  status: z.enum(['pending', 'replayed', 'discarded', 'all']).optional(),
})

/** `partition:offset`, e.g. `3:1042`. */
export const dlqRefSchema = z
  .string()
  .regex(/^\d+:\d+$/, 'expected <partition>:<offset>, e.g. 3:1042')
  .transform((value): DlqRecordRef => {
    const [partition, offset] = value.split(':')
    return { partition: Number(partition), offset: String(offset) }
  })

/** Which page of a list, as the API query string and the CLI flags give it. */
export const dlqPageSchema = z.object({
  /** @default 100 */
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  /** The `next` of the previous page, `<partition>:<offset>`. */
  after: z
    .string()
    .regex(/^\d+:\d+$/, 'expected the "next" of the previous page, <partition>:<offset>')
    .optional(),
})

const refObjectSchema = z.object({
  partition: z.number().int().min(0),
  offset: z.union([z.string().regex(/^\d+$/), z.number().int().min(0)]).transform(String),
})

/** Body of `POST /dlq/replay` and `POST /dlq/discard`. */
export const dlqActionBodySchema = z
  .object({
    group: z.string().min(1),
    reason: z.string().min(1).max(1000).optional(),
    /** Records to act on, `[{ partition, offset }]` or `["p:o"]`. */
    records: z
      .array(z.union([refObjectSchema, dlqRefSchema]))
      .min(1)
      .optional(),
    /** Or: every pending record matching this filter (`{}` means all pending records). */
    filter: dlqFilterSchema.omit({ status: true }).optional(),
  })
  .refine((b) => (b.records === undefined) !== (b.filter === undefined), {
    message: 'give exactly one of "records" or "filter" ({} selects every pending record)',
    path: ['records'],
  })
  .meta({
    description: 'Give exactly one of "records" or "filter" ({} selects every pending record).',
    examples: [{ group: 'ledger.projector', reason: 'schema fixed', records: ['2:17'] }],
  })

export function toSelection(body: z.output<typeof dlqActionBodySchema>): DlqSelection {
  return body.records ? { records: body.records } : { filter: body.filter ?? {} }
}

export type { DlqFilter }
