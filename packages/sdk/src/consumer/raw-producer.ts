import { BatchingProducer, type KafkaTransport } from '@integration-ledger/kafka'
import type { RawRecordSink } from './types.js'

/** A producer of already-encoded records (retry, DLQ and replay traffic) that its caller closes. */
export interface OwnedRawProducer extends RawRecordSink {
  close(): Promise<void>
}

/** Connects a batching, idempotent producer for moving encoded records between topics. */
export async function connectRawProducer(transport: KafkaTransport): Promise<OwnedRawProducer> {
  const connection = transport.producer()
  await connection.connect()
  const producer = new BatchingProducer(connection)
  return { produceRaw: (record) => producer.produce(record), close: () => producer.close() }
}
