import { PermanentError } from '@integration-ledger/core'
import type { Registry } from 'prom-client'
import { IngestRecovery } from './catchup/ingest-recovery.js'
import type { ReconcileSourceConfig, ReconcilerConfig } from './config.js'
import { CallStats } from './remote/call-stats.js'
import type { ReconcileTarget } from './run/reconciler.js'
import type { BuiltTarget, TargetDeps } from './sources/common.js'
import { buildGithubTarget } from './sources/github.js'
import { buildStripeTarget } from './sources/stripe.js'

/** A configured source with its remote client (built only when its API key is set). */
export interface ConfiguredTarget extends ReconcileTarget {
  config: ReconcileSourceConfig
  close(): Promise<void>
}

/** The one place a source's kind picks its provider module. */
function buildFor(source: ReconcileSourceConfig, secret: string, deps: TargetDeps): BuiltTarget {
  switch (source.kind) {
    case 'stripe':
      return buildStripeTarget(source, secret, deps)
    case 'github':
      return buildGithubTarget(source, secret, deps)
  }
}

/**
 * Builds the reconcile targets; a source without its API key gets none and is never run. One
 * outbound client per source: the scan and the catch-up share the account's rate limit.
 */
export function buildTargets(
  config: Pick<ReconcilerConfig, 'sources' | 'ingest'>,
  registry: Registry,
): Map<string, ConfiguredTarget> {
  const targets = new Map<string, ConfiguredTarget>()
  const recovery = config.ingest === undefined ? undefined : new IngestRecovery(config.ingest)
  for (const source of config.sources) {
    const secret = source.secret
    if (secret === undefined) continue
    const { client, ...built } = buildFor(source, secret, { registry, recovery, calls: new CallStats() })
    targets.set(source.name, {
      ...built,
      config: source,
      source: source.name,
      topic: source.topic,
      close: () => client.close(),
    })
  }
  return targets
}

/** The target of a run request, or an error saying why there is none. */
export function targetFor(
  targets: ReadonlyMap<string, ConfiguredTarget>,
  sources: readonly ReconcileSourceConfig[],
  name: string,
  entityType: string,
): ConfiguredTarget {
  const config = sources.find((s) => s.name === name)
  if (config === undefined) {
    throw new PermanentError(
      'NOT_FOUND',
      `Source "${name}" is not configured for reconciliation (RECONCILER_SOURCES has ${sources.map((s) => s.name).join(', ') || 'none'}).`,
    )
  }
  const target = targets.get(name)
  if (target === undefined) {
    throw new PermanentError(
      'VALIDATION_FAILED',
      `Source "${name}" has no API key: set ${config.credentialEnv} (the service reads it at start).`,
    )
  }
  if (!(config.entityTypes as readonly string[]).includes(entityType)) {
    throw new PermanentError(
      'VALIDATION_FAILED',
      `Source "${name}" reconciles ${config.entityTypes.join(', ')}, not "${entityType}".`,
    )
  }
  return target
}
