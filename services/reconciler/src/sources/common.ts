import type { OutboundClient } from '@integration-ledger/outbound'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import type { IngestRecovery } from '../catchup/ingest-recovery.js'
import type { CatchUp } from '../catchup/types.js'
import type { CallStats } from '../remote/call-stats.js'
import type { EntityComparison, RemoteSource } from '../remote/remote-source.js'

/** What every source kind's entry in RECONCILER_SOURCES has. */
export const commonSourceFields = {
  /** The source's name, as in the sources file (the ledger's `source`). */
  name: z.string().min(1),
  /** The ledger topic the source's events go to. @default 'ledger.events' */
  topic: z.string().min(1).default('ledger.events'),
  /** Seconds between scheduled runs; absent: on demand only. @default undefined (off) */
  intervalSeconds: z.number().int().positive().optional(),
  /** Page size of the listing. @default 100 */
  pageSize: z.number().int().min(1).max(100).default(100),
  /** Whether each run starts by catching up from the provider's event log. @default true */
  catchUp: z.boolean().default(true),
  /**
   * How long a catch-up pass waits for what it brought to be recorded by the projector before
   * the scan compares (else the scan would repair, with a corrective event, what catch-up just
   * brought). @default 30
   */
  catchUpSettleSeconds: z.number().positive().max(600).default(30),
}

/** A variable name holding a credential. */
export const credentialEnvSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/)

/** What building a source's target may use. */
export interface TargetDeps {
  registry: Registry
  /** Ingest's `POST /recovered/:source`; undefined without RECONCILER_INGEST_TOKEN. */
  recovery: IngestRecovery | undefined
  /** Feeds the run report's request and throttle counts; the client's `onResult`. */
  calls: CallStats
}

/** The provider-specific part of a reconcile target. */
export interface BuiltTarget {
  remote: RemoteSource
  /** How each entity type's projection state is compared with the remote object. */
  comparison: EntityComparison
  catchUp?: CatchUp
  client: OutboundClient
}
