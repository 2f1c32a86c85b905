export { type IngestAppOptions, buildIngestApp } from './app.js'
export { type IngestConfig, loadIngestConfig } from './config.js'
export { startIngest } from './start.js'
