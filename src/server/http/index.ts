export { ACCESS_STREAM_PREFIX, AccessLog, accessStreamOf, UNIDENTIFIED_ACCESS_STREAM } from './access-log.js';
export { BearerTokens, generateToken, hashToken, TOKEN_PREFIX, tokenHashPrefix } from './bearer-tokens.js';
export {
  checkHttpSetup,
  HEALTH_PATH,
  type HttpServerOptions,
  HttpServerSetupError,
  MCP_PATH,
  METRICS_PATH,
  type RunningHttpServer,
  startHttpServer,
} from './http-server.js';
export {
  DEFAULT_HTTP_HOST,
  InvalidListenAddress,
  isLoopbackHost,
  type ListenAddress,
  parseListenAddress,
} from './listen-address.js';
