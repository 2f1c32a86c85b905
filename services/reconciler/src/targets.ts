import { PermanentError } from '@ledger/core'
import type { Registry } from 'prom-client'
import type { ReconcileSourceConfig } from './config.js'
import type { RemoteSource } from './remote/remote-source.js'
import { StripeCustomersSource, stripeCustomerComparison } from './remote/stripe-customers.js'
import type { ReconcileTarget } from './run/reconciler.js'

/** A configured source with its remote client (built only when its API key is set). */
export interface ConfiguredTarget extends ReconcileTarget {
  config: ReconcileSourceConfig
  close(): Promise<void>
}

/** Builds the reconcile targets; a source without its API key gets none and is never run. */
export function buildTargets(
  sources: readonly ReconcileSourceConfig[],
  registry: Registry,
): Map<string, ConfiguredTarget> {
  const targets = new Map<string, ConfiguredTarget>()
  for (const config of sources) {
    if (config.secret === undefined) continue
    const remote = new StripeCustomersSource({
      baseUrl: config.baseUrl,
      secretKey: config.secret,
      registry,
      pageSize: config.pageSize,
    })
    targets.set(config.name, {
      config,
      source: config.name,
      topic: config.topic,
      remote: remote satisfies RemoteSource,
      comparison: stripeCustomerComparison,
      close: () => remote.close(),
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
