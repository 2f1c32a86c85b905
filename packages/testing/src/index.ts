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
export { type StackEnv, stackEnv } from './stack-env.js'
export { type WaitForOptions, waitFor } from './wait-for.js'
