// patches/kafkajs+2.2.4.patch (applied by `npm install`) makes kafkajs's protocol encoder take
// its buffers from Buffer.allocUnsafe and write varints in place. What must hold for that to be
// safe: every byte a request carries was written by the encoder, never left over in reused memory.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'

const require = createRequire(import.meta.url)

/** kafkajs's encoder, as its producer uses it (CommonJS internals, untyped). */
interface KafkajsEncoder {
  writeVarInt(value: number): KafkajsEncoder
  writeUVarInt(value: number): KafkajsEncoder
  readonly buffer: Buffer
}
const Encoder = require('kafkajs/src/protocol/encoder') as new () => KafkajsEncoder
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown
const Long = require('kafkajs/src/utils/long') as { fromInt(n: number): unknown }
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => unknown
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: object) => Promise<KafkajsEncoder>
}
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<{ records: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }[] }>

const hex = (e: KafkajsEncoder) => e.buffer.toString('hex')

/** Runs `encode` with every Buffer.allocUnsafe returning memory full of `garbage`. */
async function withReusedMemory<T>(garbage: number, encode: () => Promise<T>): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(Buffer, 'allocUnsafe')
  const allocUnsafe = Buffer.allocUnsafe.bind(Buffer)
  Buffer.allocUnsafe = (size: number) => allocUnsafe(size).fill(garbage)
  try {
    return await encode()
  } finally {
    if (original) Object.defineProperty(Buffer, 'allocUnsafe', original)
  }
}

const records = [
  { key: 'cus_1', value: Buffer.from('{"id":"cus_1"}'), headers: { 'ledger-event-id': 'e-1' } },
  { key: null, value: Buffer.alloc(3000, 7), headers: {} },
  { key: 'ключ', value: null, headers: { a: 'b', 'ledger-correlation-id': 'c'.repeat(600) } },
]

async function encodeBatch(): Promise<Buffer> {
  const batch = await RecordBatch({
    firstTimestamp: 1_764_000_000_000,
    maxTimestamp: 1_764_000_000_005,
    producerId: Long.fromInt(42),
    producerEpoch: 3,
    firstSequence: 17,
    lastOffsetDelta: records.length - 1,
    records: records.map((r, i) => Record({ ...r, offsetDelta: i, timestampDelta: i })),
  })
  return batch.buffer
}

describe('kafkajs encoder patch', () => {
  it('is applied to the kafkajs this repository runs (npm install applies patches/)', () => {
    assert.match(
      Encoder.toString(),
      /integration-ledger patch/,
      'kafkajs is unpatched: run `npm install` (its postinstall runs patch-package)',
    )
  })

  it("writes Kafka's zigzag varints byte for byte", () => {
    const vectors: [number, string][] = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [63, '7e'],
      [-64, '7f'],
      [64, '8001'],
      [300, 'd804'],
      [2_147_483_647, 'feffffff0f'],
      [-2_147_483_648, 'ffffffff0f'],
    ]
    for (const [value, expected] of vectors) {
      assert.equal(hex(new Encoder().writeVarInt(value)), expected, `varint ${value}`)
    }
    assert.equal(hex(new Encoder().writeUVarInt(300)), 'ac02')
    assert.equal(hex(new Encoder().writeUVarInt(0xffffffff)), 'ffffffff0f')
  })

  it('encodes a record batch the same whatever reused memory held, and it decodes to the records given', async () => {
    const zeros = await withReusedMemory(0x00, encodeBatch)
    const ones = await withReusedMemory(0xff, encodeBatch)
    assert.equal(zeros.toString('hex'), ones.toString('hex'), 'a byte of the batch was never written')

    // The CRC covers everything from the attributes on (offset 21), as the broker checks it.
    assert.equal(zeros.readUInt32BE(17), crc32C(zeros.subarray(21)))
    const decoded = await decodeRecordBatch(new Decoder(zeros))
    assert.deepEqual(
      decoded.records.map((r) => ({
        key: r.key?.toString() ?? null,
        value: r.value,
        headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()])),
      })),
      records,
    )
  })
})
