/** A Stripe API object as stored: every one has these three, and `created` in unix seconds. */
export interface StripeObject {
  id: string
  object: string
  created: number
  [field: string]: unknown
}

/** One page of a list, before it is wrapped in `{ object: 'list', … }`. */
export interface StripePage {
  data: StripeObject[]
  hasMore: boolean
}

/** A page request: at most one of the two cursors (the handler checks that). */
export interface PageRequest {
  limit: number
  startingAfter?: string | undefined
  endingBefore?: string | undefined
  include: (object: StripeObject) => boolean
}

/**
 * The objects of one type in Stripe's list order: newest first (`created` descending; within one
 * second, the later-created first, since IDs carry no order).
 * Deleted objects stay in the order as tombstones so that a cursor pointing at one still works,
 * as a walk must not break when a record it already passed is deleted.
 */
export class StripeCollection {
  private readonly ordered: StripeObject[] = []
  private readonly deleted = new Set<string>()
  private positions: Map<string, number> | undefined
  /** Creation order, which breaks ties between objects created in the same second. */
  private readonly sequence = new Map<string, number>()

  /** Objects given in the order they were created. */
  constructor(objects: StripeObject[] = []) {
    for (const object of objects) this.sequence.set(object.id, this.sequence.size)
    this.ordered.push(...objects)
    this.ordered.sort((a, b) => this.compare(a, b))
  }

  get(id: string): StripeObject | undefined {
    const at = this.position(id)
    return at === undefined ? undefined : this.ordered[at]
  }

  isDeleted(id: string): boolean {
    return this.deleted.has(id)
  }

  /** Adds a new object at its place in the order. */
  insert(object: StripeObject): void {
    this.sequence.set(object.id, this.sequence.size)
    const at = this.ordered.findIndex((other) => this.compare(object, other) < 0)
    if (at === -1) this.ordered.push(object)
    else this.ordered.splice(at, 0, object)
    this.positions = undefined
  }

  markDeleted(id: string): void {
    this.deleted.add(id)
  }

  /** Removes the object entirely: it is no longer found, and a cursor naming it is refused. */
  purge(id: string): void {
    const at = this.position(id)
    if (at === undefined) return
    this.ordered.splice(at, 1)
    this.deleted.delete(id)
    this.positions = undefined
  }

  /** Live (not deleted) objects, in list order. */
  live(): StripeObject[] {
    return this.ordered.filter((o) => !this.deleted.has(o.id))
  }

  /** A page; undefined when a cursor names no object of this type. */
  page(req: PageRequest): StripePage | undefined {
    const keep = (o: StripeObject): boolean => !this.deleted.has(o.id) && req.include(o)
    if (req.endingBefore !== undefined) {
      const at = this.position(req.endingBefore)
      if (at === undefined) return undefined
      // The `limit` objects just before the cursor, still newest first.
      const found: StripeObject[] = []
      let i = at - 1
      for (; i >= 0 && found.length < req.limit; i--) {
        const o = this.ordered[i]
        if (o !== undefined && keep(o)) found.unshift(o)
      }
      return { data: found, hasMore: this.anyMatch(i, -1, keep) }
    }
    let start = 0
    if (req.startingAfter !== undefined) {
      const at = this.position(req.startingAfter)
      if (at === undefined) return undefined
      start = at + 1
    }
    const found: StripeObject[] = []
    let i = start
    for (; i < this.ordered.length && found.length < req.limit; i++) {
      const o = this.ordered[i]
      if (o !== undefined && keep(o)) found.push(o)
    }
    return { data: found, hasMore: this.anyMatch(i, 1, keep) }
  }

  private anyMatch(from: number, step: 1 | -1, keep: (o: StripeObject) => boolean): boolean {
    for (let i = from; i >= 0 && i < this.ordered.length; i += step) {
      const o = this.ordered[i]
      if (o !== undefined && keep(o)) return true
    }
    return false
  }

  private position(id: string): number | undefined {
    if (this.positions === undefined) this.positions = new Map(this.ordered.map((o, i) => [o.id, i]))
    return this.positions.get(id)
  }

  private compare(a: StripeObject, b: StripeObject): number {
    if (a.created !== b.created) return b.created - a.created
    return (this.sequence.get(b.id) ?? 0) - (this.sequence.get(a.id) ?? 0)
  }
}
