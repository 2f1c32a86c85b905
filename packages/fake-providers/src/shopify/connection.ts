import { GraphQLError } from 'graphql'

/** Shopify's page-size ceiling for a connection. */
export const MAX_PAGE_SIZE = 250

/** Connection arguments as the schema declares them. */
export interface ConnectionArgs {
  first?: number | null
  after?: string | null
  last?: number | null
  before?: string | null
  reverse?: boolean | null
  sortKey?: string | null
  query?: string | null
}

/** A record that can be paged: a numeric ID (the tail of its gid) and the fields sort keys read. */
export interface PageableRecord {
  legacyResourceId: string
  [field: string]: unknown
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[]
  nodes: T[]
  pageInfo: {
    hasNextPage: boolean
    hasPreviousPage: boolean
    startCursor: string | null
    endCursor: string | null
  }
}

/** Which record field a sort key orders by (ID order is the record's numeric ID). */
const SORT_FIELDS: Record<string, string | undefined> = {
  ID: undefined,
  CREATED_AT: 'createdAt',
  UPDATED_AT: 'updatedAt',
  PROCESSED_AT: 'processedAt',
  TITLE: 'title',
  NAME: 'displayName',
}

interface Position {
  value: string | number
  id: bigint
}

/**
 * A page of `records` the way Shopify pages a connection: `first` with `after`, or `last` with
 * `before`, one of `first`/`last` required, at most 250. Cursors are opaque base64 of the last
 * record's ID and sort value, so a cursor stays valid when its record changes or is deleted.
 */
export function connectionOf<T extends PageableRecord>(
  records: readonly T[],
  args: ConnectionArgs,
  view: (record: T) => unknown = (r) => r,
): Connection<unknown> {
  const first = args.first ?? undefined
  const last = args.last ?? undefined
  if (first === undefined && last === undefined)
    throw new GraphQLError('you must provide one of first or last')
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value !== undefined && (value < 0 || value > MAX_PAGE_SIZE)) {
      throw new GraphQLError(`The ${name} argument must be between 0 and ${MAX_PAGE_SIZE}, got ${value}.`)
    }
  }
  const field = SORT_FIELDS[args.sortKey ?? 'ID']
  const position = (r: T): Position => ({
    value: field === undefined ? 0 : sortValue(r[field]),
    id: BigInt(r.legacyResourceId),
  })
  const compare = (a: Position, b: Position): number => {
    const order = a.value < b.value ? -1 : a.value > b.value ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
    return args.reverse === true ? -order : order
  }
  // Records come in ID order; the common case (ID order, no search) pages them without sorting,
  // so a walk over a large seeded shop costs O(page) per request instead of O(n log n).
  const query = args.query ?? undefined
  let ordered: readonly T[]
  if (field === undefined && (query === undefined || query.trim() === '')) {
    ordered = args.reverse === true ? [...records].reverse() : records
  } else {
    ordered = matching(records, query)
      .map((record) => ({ record, at: position(record) }))
      .sort((x, y) => compare(x.at, y.at))
      .map((e) => e.record)
  }
  // The first index whose record sorts after `cursor` (or at or after it, `inclusive`).
  const boundary = (cursor: Position, inclusive: boolean): number => {
    let low = 0
    let high = ordered.length
    while (low < high) {
      const mid = (low + high) >>> 1
      const order = compare(position(ordered[mid] as T), cursor)
      if (order > 0 || (inclusive && order === 0)) high = mid
      else low = mid + 1
    }
    return low
  }
  let start = args.after == null ? 0 : boundary(decodeCursor(args.after), false)
  let end = args.before == null ? ordered.length : boundary(decodeCursor(args.before), true)
  if (end < start) end = start
  if (first !== undefined) end = Math.min(end, start + first)
  if (last !== undefined) start = Math.max(start, end - last)
  const edges = ordered
    .slice(start, end)
    .map((record) => ({ cursor: encodeCursor(position(record)), node: view(record) }))
  return {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: {
      // Whether anything lies before or after this page in the whole ordered set.
      hasNextPage: edges.length > 0 && end < ordered.length,
      hasPreviousPage: edges.length > 0 && start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  }
}

function sortValue(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function encodeCursor(at: Position): string {
  return Buffer.from(JSON.stringify({ last_id: Number(at.id), last_value: at.value })).toString('base64')
}

function decodeCursor(cursor: string): Position {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as {
      last_id: unknown
      last_value: unknown
    }
    if (
      typeof parsed.last_id !== 'number' ||
      (typeof parsed.last_value !== 'string' && typeof parsed.last_value !== 'number')
    ) {
      throw new Error('bad cursor')
    }
    return { id: BigInt(parsed.last_id), value: parsed.last_value }
  } catch {
    throw new GraphQLError(`Invalid cursor for current pagination sort: ${cursor}`)
  }
}

/**
 * Shopify's search syntax, the part a sync needs: `updated_at` and `created_at` compared with
 * `:`, `:>`, `:>=`, `:<`, `:<=` to an ISO date, terms joined by spaces or `AND`. Other terms are
 * ignored, as Shopify ignores search terms it does not know.
 */
function matching<T extends PageableRecord>(records: readonly T[], query: string | undefined): readonly T[] {
  if (query === undefined || query.trim() === '') return records
  const tests: ((r: T) => boolean)[] = []
  for (const match of query.matchAll(/\b(updated_at|created_at):(>=|<=|>|<)?['"]?([^'"\s]+)['"]?/g)) {
    const field = match[1] === 'updated_at' ? 'updatedAt' : 'createdAt'
    const op = match[2] ?? '='
    const bound = Date.parse(match[3] ?? '')
    if (Number.isNaN(bound)) throw new GraphQLError(`Invalid date in search query: ${match[3]}`)
    tests.push((r) => {
      const at = Date.parse(String(r[field]))
      return op === '>'
        ? at > bound
        : op === '>='
          ? at >= bound
          : op === '<'
            ? at < bound
            : op === '<='
              ? at <= bound
              : at === bound
    })
  }
  return records.filter((r) => tests.every((t) => t(r)))
}
