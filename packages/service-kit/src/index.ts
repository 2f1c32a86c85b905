export {
  BearerTokens,
  type NamedToken,
  bearerTokenName,
  presentedBearerToken,
  requireBearerToken,
} from './bearer-auth.js'
export { csv, parseEnv } from './config.js'
export { type HealthRoutesOptions, type ReadinessCheck, registerHealthRoutes } from './health.js'
export { type ErrorBody, errorBodySchema, httpStatusFor, installErrorHandler } from './http-errors.js'
export {
  OPENAPI_PATH,
  type OpenApiInfo,
  documentSecurity,
  errorResponse,
  jsonResponse,
  registerOpenApi,
} from './openapi.js'
export { CORRELATION_HEADER, correlationIdFor, serviceLoggerOptions } from './logger.js'
export { isoTimeSchema, parseIsoTime } from './iso-time.js'
export { createMetricsRegistry } from './metrics.js'
export { httpServerOptions } from './server-options.js'
export { type HttpTimeouts, type StackConfig, portSchema, stackConfig, stackEnvSchema } from './stack-env.js'
export { type RunServerOptions, runServer } from './run-server.js'
export { parseRequest } from './parse-request.js'
export { type CliIo, parseCommandLine, processIo } from './command-line.js'
