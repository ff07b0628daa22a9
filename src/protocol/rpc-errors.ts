import {
  APEX_ERROR_CODES,
  type ApexErrorName,
  isApexErrorName,
  JSON_RPC_ERROR_CODES,
  MCP_ERROR_CODES,
  type ProtocolEra,
  wireErrorCode,
} from './error-codes.js';
import { JSONRPC_VERSION, type JsonRpcError, type JsonRpcErrorResponse, type RequestId } from './json-rpc.js';

/**
 * Builders for every error APEX sends. Messages tell the client what was wrong and what to do;
 * they never carry internals (stacks, SQL, paths), which go to the log on stderr instead.
 */

// Client-supplied text echoed back (a method name, say) is cut to this many characters.
const MAX_ECHOED_TEXT_LENGTH = 200;

const echoed = (text: string): string =>
  text.length <= MAX_ECHOED_TEXT_LENGTH ? text : `${text.slice(0, MAX_ECHOED_TEXT_LENGTH)}…`;

export const errorResponse = (id: RequestId | null, error: JsonRpcError): JsonRpcErrorResponse => ({
  jsonrpc: JSONRPC_VERSION,
  id,
  error,
});

export const parseError = (reason: string): JsonRpcError => ({
  code: JSON_RPC_ERROR_CODES.PARSE_ERROR,
  message: `Parse error: ${reason}. Send one JSON-RPC message per line.`,
});

export const invalidUtf8 = (): JsonRpcError => parseError('the line is not valid UTF-8');

export const invalidRequest = (reason: string, path?: string): JsonRpcError => ({
  code: JSON_RPC_ERROR_CODES.INVALID_REQUEST,
  message: `Invalid Request: ${reason}`,
  ...(path === undefined ? {} : { data: { path } }),
});

export const messageTooLarge = (bytes: number, limitBytes: number): JsonRpcError => ({
  code: JSON_RPC_ERROR_CODES.INVALID_REQUEST,
  message: `Invalid Request: the message is ${bytes} bytes; the limit is ${limitBytes} bytes per line`,
  data: { bytes, limitBytes },
});

export const methodNotFound = (method: string): JsonRpcError => ({
  code: JSON_RPC_ERROR_CODES.METHOD_NOT_FOUND,
  message: `Method not found: ${echoed(method)}`,
  data: { method: echoed(method) },
});

/** `path` names the failing field from the top of the message, e.g. `params.arguments.count`. */
export const invalidParams = (message: string, path: string): JsonRpcError => ({
  code: JSON_RPC_ERROR_CODES.INVALID_PARAMS,
  message: `Invalid params: ${message}`,
  data: { path },
});

/** A fixed message on purpose: whatever went wrong inside stays in the log. */
export const internalError = (): JsonRpcError => ({
  code: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
  message: 'Internal error. The request was not completed; it is safe to retry.',
});

/** resources/read on an unknown URI: -32002 up to 2025-11-25; 2026-07-28 requires -32602 with `data.uri`. */
export const resourceNotFound = (uri: string, era: ProtocolEra): JsonRpcError => ({
  code: era === 'modern' ? JSON_RPC_ERROR_CODES.INVALID_PARAMS : MCP_ERROR_CODES.RESOURCE_NOT_FOUND,
  message: `Resource not found: ${echoed(uri)}`,
  data: { uri },
});

export const unsupportedProtocolVersion = (requested: string, supported: readonly string[]): JsonRpcError => ({
  code: MCP_ERROR_CODES.UNSUPPORTED_PROTOCOL_VERSION,
  message: `Unsupported protocol version: ${echoed(requested)}. Retry with one of: ${supported.join(', ')}`,
  data: { supported: [...supported], requested },
});

export interface ApexError extends JsonRpcError {
  readonly data: { readonly apex: ApexErrorName; readonly seedCode: number; readonly [detail: string]: unknown };
}

/**
 * An APEX condition (seed §6.1) under its seed code; `data.apex` names it and `data.seedCode`
 * carries the seed code, so it survives `toWireError` moving the code. `message` is shown to the
 * client as is: describe the condition and the way out, never internals.
 */
export const apexError = (
  name: ApexErrorName,
  message: string,
  extra?: Readonly<Record<string, unknown>>,
): ApexError => ({
  code: APEX_ERROR_CODES[name],
  message,
  data: { ...extra, apex: name, seedCode: APEX_ERROR_CODES[name] },
});

/**
 * The encode seam: gives an APEX error the code it must carry for this era and method (see
 * wireErrorCode); every other error passes through unchanged.
 */
export const toWireError = (error: JsonRpcError, era: ProtocolEra, method?: string): JsonRpcError => {
  const data = error.data;
  if (typeof data !== 'object' || data === null || !('apex' in data)) return error;
  const name = data.apex;
  if (!isApexErrorName(name)) return error;
  const code = wireErrorCode(name, era, method);
  return code === error.code ? error : { ...error, code };
};
