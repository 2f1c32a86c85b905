export { toDatabaseError } from './errors.js'
export { type PoolOptions, createPool } from './pool.js'
export { type SchemaDefinition, applySchema } from './schema.js'
export { type GrowthAnalyzerOptions, GrowthAnalyzer } from './growth-analyzer.js'
