import { type Logger } from '@integration-ledger/core'
import { logLevel, type logCreator } from 'kafkajs'

/**
 * kafkajs warns about this whenever an idempotent producer's own retries are limited. Ours are, on
 * purpose: the seam resends the same records itself (see producer.ts), which keeps the guarantee.
 */
const HANDLED_BY_THE_SEAM = 'Limiting retries for the idempotent producer may invalidate EoS guarantees'

/** Routes kafkajs' own log lines into the service's structured logger. */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log
      if (message === HANDLED_BY_THE_SEAM) return
      const fields = { component: 'kafkajs', ...extra }
      // kafkajs logs every error response and dropped connection at ERROR, then retries it (a
      // coordinator still loading at start-up, a broker restarting). Whether that turned into a
      // failure is ours to say, at our level, so kafkajs' own lines are warnings at most.
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(fields, message)
      else if (level === logLevel.INFO) logger.debug(fields, message)
    }
}
