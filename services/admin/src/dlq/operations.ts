import { DlqOperations } from '@integration-ledger/dlq'
import { EnvelopeCodec, connectRawProducer, type OwnedRawProducer } from '@integration-ledger/sdk'
import type { FastifyInstance } from 'fastify'
import type { AdminDeps } from '../app.js'

/**
 * The admin's one `DlqOperations`, shared by the DLQ routes and the health summary: one index
 * catch-up per group at a time, and one set of `ledger_dlq_*` gauges in the registry. The replay
 * producer is connected on the first replay, so the admin API starts (and lists) while Kafka
 * producers warm up, and is closed with the app.
 */
export async function createDlqOperations(app: FastifyInstance, deps: AdminDeps): Promise<DlqOperations> {
  let producer: Promise<OwnedRawProducer> | undefined
  const sink = {
    produceRaw: async (record: Parameters<OwnedRawProducer['produceRaw']>[0]) => {
      producer ??= connectRawProducer(deps.transport).catch((err: unknown) => {
        producer = undefined
        throw err
      })
      await (await producer).produceRaw(record)
    },
  }
  app.addHook('onClose', async () => {
    if (producer) await (await producer).close()
  })
  const dlq = new DlqOperations({
    transport: deps.transport,
    codec: new EnvelopeCodec({ url: deps.config.schemaRegistryUrl }),
    pool: deps.pool,
    sink,
    metrics: deps.metrics,
    logger: app.log,
  })
  await dlq.migrate()
  return dlq
}
