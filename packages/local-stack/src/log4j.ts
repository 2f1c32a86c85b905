/**
 * A log4j 2 configuration (the properties format: no YAML parser needed on the classpath) that
 * writes everything to stdout, which startDaemon appends to <run dir>/logs/<name>.log, with the
 * named loggers (`logger name` → level) turned down. Kafka 4 and Connect both log through it.
 */
export function log4j2Properties(quiet: Record<string, string>): string {
  const loggers = Object.entries(quiet).flatMap(([logger, level], i) => [
    `logger.l${i}.name = ${logger}`,
    `logger.l${i}.level = ${level}`,
  ])
  return [
    'status = warn',
    'appender.stdout.type = Console',
    'appender.stdout.name = STDOUT',
    'appender.stdout.layout.type = PatternLayout',
    'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.stdout.ref = STDOUT',
    ...loggers,
    '',
  ].join('\n')
}
