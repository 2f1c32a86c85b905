export { type SourcesFile, parseSourcesConfig } from './parse-sources-config.js'
export { loadSourcesFile } from './load-sources-file.js'
export { SourceRegistry } from './registry.js'
