import { createPool } from '@integration-ledger/postgres'
import { createKafkajsTransport } from '@integration-ledger/sdk'
import { createMetricsRegistry } from '@integration-ledger/service-kit'
import type { FastifyInstance } from 'fastify'
import { buildAdminApp } from './app.js'
import type { AdminConfig } from './config.js'

/** Wires the admin service from its configuration. Closing the app closes the pool. */
export async function startAdmin(config: AdminConfig): Promise<FastifyInstance> {
  const pool = createPool({ connectionString: config.databaseUrl, max: 4 })
  const transport = createKafkajsTransport({ brokers: config.kafkaBrokers, clientId: 'ledger-admin' })
  const app = await buildAdminApp({ config, pool, transport, metrics: createMetricsRegistry('admin') })
  app.addHook('onClose', async () => pool.end())
  return app
}
