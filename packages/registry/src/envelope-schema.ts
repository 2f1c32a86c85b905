import { readFileSync } from 'node:fs'

/**
 * The envelope's Avro schema, read from this package's `schemas/` folder (one level above both
 * `src/` and `dist/`, and shipped in the tarball). That file is the single source of truth; the
 * repository's `schemas/envelope.v1.avsc` is a link to it for non-Node consumers.
 */
export const ENVELOPE_SCHEMA_V1: string = readFileSync(
  new URL('../schemas/envelope.v1.avsc', import.meta.url),
  'utf8',
)
