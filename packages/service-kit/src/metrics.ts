import { Registry, collectDefaultMetrics } from 'prom-client'

/**
 * A fresh registry per service instance, never prom-client's global one: tests run several
 * services in one process and each must expose only its own metrics.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  return registry
}
