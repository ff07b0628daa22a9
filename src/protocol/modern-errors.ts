import { JSON_RPC_ERROR_CODES, MCP_ERROR_CODES } from './error-codes.js';
import type { JsonRpcError } from './json-rpc.js';

/**
 * The errors MCP 2026-07-28 defines for modern requests, and the HTTP status each is answered with.
 * UnsupportedProtocolVersion (-32022) is built by `unsupportedProtocolVersion` in rpc-errors.ts,
 * which already has the modern `data: {supported, requested}` shape.
 */

/** 2026-07-28: an HTTP header disagrees with the body, is missing, or is badly encoded. */
export const HEADER_MISMATCH_CODE = MCP_ERROR_CODES.HEADER_MISMATCH;

// Client-supplied text echoed in a message is cut to this many characters.
const MAX_ECHOED_TEXT_LENGTH = 200;

const echoed = (text: string): string =>
  text.length <= MAX_ECHOED_TEXT_LENGTH ? text : `${text.slice(0, MAX_ECHOED_TEXT_LENGTH)}…`;

/** `problem` completes "the <header> header …", e.g. `is missing` or `says "a" but params.name is "b"`. */
export const headerMismatch = (header: string, problem: string): JsonRpcError => ({
  code: HEADER_MISMATCH_CODE,
  message: `Header mismatch: the ${header} header ${echoed(problem)}. Send it with the value the request body carries.`,
  data: { header },
});

/** Client capabilities as the wire spells them: `{"sampling": {}}`, `{"extensions": {"<id>": {}}}`. */
export type RequiredCapabilities = Readonly<Record<string, unknown>>;

/** `sampling`, `elicitation`, `extensions["io.modelcontextprotocol/tasks"]`. */
const capabilityNames = (required: RequiredCapabilities): string[] =>
  Object.entries(required).flatMap(([name, value]) =>
    name === 'extensions' && typeof value === 'object' && value !== null
      ? Object.keys(value).map((id) => `extensions["${id}"]`)
      : [name],
  );

/**
 * The request needs a capability its own `_meta` did not declare (modern requests never inherit
 * capabilities from earlier ones). `requiredCapabilities` is an object, not a list of names.
 */
export const missingRequiredClientCapability = (requiredCapabilities: RequiredCapabilities): JsonRpcError => ({
  code: MCP_ERROR_CODES.MISSING_REQUIRED_CLIENT_CAPABILITY,
  message:
    `Missing required client capability: ${capabilityNames(requiredCapabilities).join(', ')}. ` +
    'Declare it in this request\'s _meta["io.modelcontextprotocol/clientCapabilities"] and retry.',
  data: { requiredCapabilities },
});

/**
 * Where a JSON-RPC error answering a modern HTTP request came from: the `gate` (era classification,
 * envelope, headers, version, method lookup: before any handler ran) or the method's `handler`.
 */
export type ModernErrorOrigin = 'gate' | 'handler';

const GATE_HTTP_STATUS: Readonly<Record<number, number>> = {
  [JSON_RPC_ERROR_CODES.PARSE_ERROR]: 400,
  [JSON_RPC_ERROR_CODES.INVALID_REQUEST]: 400,
  [JSON_RPC_ERROR_CODES.INVALID_PARAMS]: 400,
  [JSON_RPC_ERROR_CODES.METHOD_NOT_FOUND]: 404,
  [HEADER_MISMATCH_CODE]: 400,
  [MCP_ERROR_CODES.MISSING_REQUIRED_CLIENT_CAPABILITY]: 400,
  [MCP_ERROR_CODES.UNSUPPORTED_PROTOCOL_VERSION]: 400,
};

/** A gate refusal the table does not name is still the client's fault. */
const DEFAULT_GATE_HTTP_STATUS = 400;

/**
 * The HTTP status of a modern request answered with `error`. Gate refusals are HTTP errors (an
 * unknown or removed method is 404); a handler's error travels in a 200 response, except a missing
 * client capability, which is 400 wherever it is found.
 */
export const modernHttpStatus = (error: Pick<JsonRpcError, 'code'>, origin: ModernErrorOrigin): number => {
  if (error.code === MCP_ERROR_CODES.MISSING_REQUIRED_CLIENT_CAPABILITY) return 400;
  if (origin === 'handler') return 200;
  return GATE_HTTP_STATUS[error.code] ?? DEFAULT_GATE_HTTP_STATUS;
};
