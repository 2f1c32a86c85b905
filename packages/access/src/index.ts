export {
  type AuditEntry,
  type AuditFilter,
  AuditLog,
  type AuditOutcome,
  type AuditPage,
  type AuditRecord,
} from './audit-log.js'
export { ADMIN_ROLES, type AdminIdentity, type AdminRole, type EnvToken } from './identity.js'
export {
  type AuditedRoute,
  type OperatorApiOptions,
  addAuditDetails,
  adminIdentity,
  protectOperatorApi,
} from './operator-api.js'
export { migrateAccess } from './schema.js'
export { type AdminTokenInfo, AdminTokenStore, type CreatedAdminToken } from './token-store.js'
