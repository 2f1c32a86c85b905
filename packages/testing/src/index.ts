export { cleanupScope } from './cleanup.js'
export { type CleanupHost, createTestDatabase } from './database.js'
export { createTestPool } from './database-pool.js'
export { joinForeignGroupMember } from './foreign-group-member.js'
export { uniqueName } from './names.js'
export {
  type SignHmacInput,
  type SignInput,
  type SignStandardInput,
  type SignedHeaders,
  type TimestampedSignInput,
  signGithub,
  signHmac,
  signShopify,
  signStandard,
  signStripe,
} from './signers.js'
export { seededRandom } from './seeded-random.js'
export { serviceEnv, writeSourcesFile } from './service-env.js'
export { type StackEnv, stackEnv } from '@integration-ledger/local-stack'
// The servers fault tests own (throwaway: free ports, a temp directory that kill() deletes), so an
// outage test never stops the shared stack.
export {
  DEFAULT_RULE_FILES,
  DEFAULT_TARGETS,
  type KafkaBrokerOptions,
  type KafkaClusterOptions,
  type OwnedKafkaBroker,
  type OwnedKafkaCluster,
  type OwnedKafkaNode,
  type OwnedPostgresCluster,
  type OwnedPrometheus,
  freeTcpPorts,
  postgresAnswers,
  renderConfig,
  startKafkaBroker,
  startKafkaCluster,
  startPostgresCluster,
  startPrometheus,
} from '@integration-ledger/local-stack'
export { type WaitForOptions, waitFor } from './wait-for.js'
