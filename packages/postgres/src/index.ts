export { toDatabaseError } from './errors.js'
export { type PoolOptions, createPool } from './pool.js'
export { type SchemaDefinition, applySchema } from './schema.js'
