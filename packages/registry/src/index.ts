export { EnvelopeCodec, type EnvelopeCodecOptions } from './envelope-codec.js'
export { ENVELOPE_SCHEMA_V1 } from './envelope-schema.js'
