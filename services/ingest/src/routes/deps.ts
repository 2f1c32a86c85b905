import type { Clock } from '@integration-ledger/core'
import type { NamedToken } from '@integration-ledger/service-kit'
import type { LedgerPublisher } from '@integration-ledger/sdk'
import type { BrokerHealth } from '../broker-health.js'
import type { EventClient } from '../event-clients.js'
import type { OverloadGuard } from '../guards/overload-guard.js'
import type { RateLimiter } from '../guards/rate-limiter.js'
import type { Intake } from '../intake/intake.js'
import type { IngestMetrics } from '../metrics.js'
import type { SourceRegistry } from '../sources/index.js'

/** What the intake routes are given; built once in app.ts. */
export interface IntakeRouteDeps {
  sources: SourceRegistry
  intake: Intake
  /** For the quarantine topic, which is not deduplicated. */
  publisher: LedgerPublisher
  broker: BrokerHealth
  metrics: IngestMetrics
  limiter: RateLimiter
  guard: OverloadGuard
  clock: Clock
  produceTimeoutMs: number
  retryAfterSeconds: number
  /** The HTTP server's body limit; each source's own limit is checked per request. */
  maxBodyBytes: number
  /** Token → client for POST /events; empty: the route is not registered. */
  eventClients: ReadonlyMap<string, EventClient>
  eventsTopic: string
  /** Who may POST /recovered/:source; empty: the route is not registered. */
  recoveryTokens: readonly NamedToken[]
}
