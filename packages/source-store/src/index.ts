export { Keyring, type SealedSecret } from './keyring.js'
export { migrateSourceStore } from './migrate.js'
export {
  SOURCES_CHANNEL,
  type ResolvedSource,
  type SecretInfo,
  SourceStore,
  type SourceWithSecretHistory,
  type StoredSource,
} from './source-store.js'
export { type CredentialInfo, CredentialStore } from './credential-store.js'
