import { readFileSync } from 'node:fs'

/**
 * The envelope's Avro schema, read from the repository's `schemas/` folder: that file is the single
 * source of truth, shared with non-Node consumers.
 */
export const ENVELOPE_SCHEMA_V1: string = readFileSync(
  new URL('../../../schemas/envelope.v1.avsc', import.meta.url),
  'utf8',
)
