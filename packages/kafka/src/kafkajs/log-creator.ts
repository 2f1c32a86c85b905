import { type Logger } from '@ledger/core'
import { logLevel, type logCreator } from 'kafkajs'

/** Routes kafkajs' own log lines into the service's structured logger. */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log
      const fields = { component: 'kafkajs', ...extra }
      if (level === logLevel.ERROR) logger.error(fields, message)
      else if (level === logLevel.WARN) logger.warn(fields, message)
      else if (level === logLevel.INFO) logger.debug(fields, message)
    }
}
