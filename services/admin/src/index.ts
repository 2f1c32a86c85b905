export { type AdminDeps, buildAdminApp } from './app.js'
export { type AdminConfig, loadAdminConfig } from './config.js'
export { startAdmin } from './start.js'
