export { type ConnectWorkerOptions, type OwnedConnectWorker, startConnectWorker } from './connect.js'
export { type EnsuredServer } from './ensured.js'
export { InfraError, type InfraErrorCode } from './errors.js'
export { APICURIO_VERSION, DEBEZIUM_JDBC_VERSION, kafkaVersion } from './fetch-artifacts.js'
export {
  type KafkaBrokerOptions,
  type KafkaClusterOptions,
  type OwnedKafkaBroker,
  type OwnedKafkaCluster,
  type OwnedKafkaNode,
  kafkaNodeCount,
  startKafkaBroker,
  startKafkaCluster,
} from './kafka.js'
export { cacheDir, infraDir, repoRoot, runDir } from './paths.js'
export { type OwnedPostgresCluster, type PostgresClusterOptions, startPostgresCluster } from './postgres.js'
export { freeTcpPorts, httpStatus, kafkaAnswers, postgresAnswers } from './probes.js'
export { isAlive, ownedPid } from './process.js'
export { type Log, stderrLog } from './progress.js'
export {
  DEFAULT_RULE_FILES,
  DEFAULT_TARGETS,
  type OwnedPrometheus,
  type PrometheusConfigOptions,
  type PrometheusOptions,
  type ScrapeTarget,
  renderConfig,
  startPrometheus,
} from './prometheus.js'
export { type Stack, type StatusRow, ensureStack, stackStatus, stopAll } from './stack.js'
export { type StackEnv, stackEnv, stackEnvVars } from './stack-env.js'
