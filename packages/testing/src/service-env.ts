import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uniqueName } from './names.js'
import { stackEnv, type StackEnv } from '@integration-ledger/local-stack'

/**
 * The environment a service under test reads its configuration from: the running stack, the
 * test's own database, and silent logs (LOG_LEVEL from the caller's environment wins, to debug).
 */
export function serviceEnv(databaseUrl: string, stack: StackEnv = stackEnv()): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  }
}

/**
 * Writes a sources file (the YAML `LEDGER_SOURCES` names) from the lines of its `sources:` list
 * and returns its path.
 */
export async function writeSourcesFile(sourceLines: readonly string[]): Promise<string> {
  const path = join(tmpdir(), `${uniqueName('sources')}.yaml`)
  const lines = sourceLines.length > 0 ? ['sources:', ...sourceLines] : ['sources: []']
  await writeFile(path, lines.join('\n'))
  return path
}
