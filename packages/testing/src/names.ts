import { randomUUID } from 'node:crypto'

/** A name no other test (or earlier run) uses, so tests never see each other's topics or rows. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`
}
