import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { produceVerdict } from '../../src/kafkajs/produce-verdict.js'

// kafkajs is CommonJS; not all of its error classes are visible as named ESM exports.
const {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} = kafkajs

/** Wraps as kafkajs' retrier does, keeping the cause. */
const wrap = <E extends Error>(outer: E, cause: Error): E => Object.assign(outer, { cause })

/** A broker error as kafkajs builds it from a response's error code. */
const brokerError = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as never)

describe('produceVerdict', () => {
  it('resends after connection loss, timeouts and exhausted client retries (the batch may be stored)', () => {
    const refused = new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092')
    assert.equal(produceVerdict(refused), 'resend')
    assert.equal(produceVerdict(new KafkaJSRequestTimeoutError('Request Produce timed out')), 'resend')
    // What kafkajs throws when a broker restart outlasts its connect retries.
    const exhausted = wrap(
      new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 8, retryTime: 1000 }),
      refused,
    )
    assert.equal(produceVerdict(wrap(new KafkaJSNonRetriableError(exhausted), exhausted)), 'resend')
    assert.equal(produceVerdict(brokerError('NOT_LEADER_FOR_PARTITION', true)), 'resend')
  })

  it('starts a new session when the broker no longer knows the producer, wherever the error sits in the chain', () => {
    assert.equal(produceVerdict(brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER', false)), 'new-session')
    assert.equal(produceVerdict(brokerError('UNKNOWN_PRODUCER_ID', false)), 'new-session')
    const fenced = brokerError('INVALID_PRODUCER_EPOCH', false)
    assert.equal(produceVerdict(wrap(new KafkaJSNonRetriableError(fenced), fenced)), 'new-session')
  })

  it('gives up on a definitive refusal, and says when the topic is missing', () => {
    assert.equal(produceVerdict(brokerError('MESSAGE_TOO_LARGE', false)), 'give-up')
    assert.equal(produceVerdict(brokerError('TOPIC_AUTHORIZATION_FAILED', false)), 'give-up')
    const missing = brokerError('UNKNOWN_TOPIC_OR_PARTITION', true)
    const exhausted = wrap(
      new KafkaJSNumberOfRetriesExceeded(missing, { retryCount: 5, retryTime: 1000 }),
      missing,
    )
    assert.equal(produceVerdict(exhausted), 'topic-missing')
  })
})
