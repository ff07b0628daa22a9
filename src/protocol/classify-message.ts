import * as E from 'fp-ts/lib/Either.js';
import { exceedsNestingDepth, MAX_JSON_NESTING_DEPTH } from './json-nesting.js';
import {
  JSONRPC_VERSION,
  type JsonRpcErrorResponse,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResultResponse,
  type RequestId,
} from './json-rpc.js';
import { errorResponse, invalidRequest, parseError } from './rpc-errors.js';

/** One inbound message, by kind. Responses come from the client answering a server-initiated request. */
export type IncomingMessage =
  | { readonly kind: 'request'; readonly message: JsonRpcRequest }
  | { readonly kind: 'notification'; readonly message: JsonRpcNotification }
  | { readonly kind: 'response'; readonly message: JsonRpcResultResponse }
  | { readonly kind: 'error_response'; readonly message: JsonRpcErrorResponse };

export type Classification = E.Either<JsonRpcErrorResponse, IncomingMessage>;

const isRequestId = (value: unknown): value is RequestId => typeof value === 'string' || Number.isSafeInteger(value);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isParams = (value: unknown): boolean => typeof value === 'object' && value !== null;

const isErrorObject = (value: unknown): boolean =>
  isPlainObject(value) && Number.isSafeInteger(value.code) && typeof value.message === 'string';

const rejected = (id: RequestId | null, reason: string, path?: string): Classification =>
  E.left(errorResponse(id, invalidRequest(reason, path)));

/**
 * Parses one line and tells what it is, or which error answers it: -32700 for text that is not
 * JSON (or nests deeper than MAX_JSON_NESTING_DEPTH), -32600 for JSON that is not one JSON-RPC
 * message, with the message's id when it had a usable one. Hand-written checks, because this runs
 * for every message; they implement the codecs of json-rpc.ts (a property test compares them).
 */
export const classifyMessage = (text: string): Classification => {
  if (exceedsNestingDepth(text, MAX_JSON_NESTING_DEPTH)) {
    return E.left(
      errorResponse(null, parseError(`arrays and objects nest deeper than ${MAX_JSON_NESTING_DEPTH} levels`)),
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse reports malformed text only by throwing; here that is an expected outcome.
    return E.left(errorResponse(null, parseError('the line is not valid JSON')));
  }
  return classifyParsed(value);
};

/** The JSON-RPC rules of classifyMessage, for a value already parsed. */
export const classifyParsed = (value: unknown): Classification => {
  if (Array.isArray(value)) {
    return rejected(
      null,
      'batches (JSON arrays) are not supported since MCP 2025-06-18; send each message on its own line',
    );
  }
  if (!isPlainObject(value)) return rejected(null, 'a message must be a JSON object');
  const id = value.id;
  const usableId = isRequestId(id) ? id : null;
  if (value.jsonrpc !== JSONRPC_VERSION) return rejected(usableId, '"jsonrpc" must be "2.0"', 'jsonrpc');

  if (value.method !== undefined) {
    if (typeof value.method !== 'string') return rejected(usableId, '"method" must be a string', 'method');
    if (value.params !== undefined && !isParams(value.params)) {
      return rejected(usableId, '"params" must be an object', 'params');
    }
    if (id === undefined) return E.right({ kind: 'notification', message: value as JsonRpcNotification });
    if (usableId === null) return rejected(null, '"id" must be a string or an integer', 'id');
    return E.right({ kind: 'request', message: value as JsonRpcRequest });
  }

  const hasResult = value.result !== undefined;
  const hasError = value.error !== undefined;
  if (hasResult && hasError) return rejected(usableId, 'a response carries "result" or "error", not both');
  if (hasResult) {
    if (usableId === null) return rejected(null, '"id" must be a string or an integer', 'id');
    if (!isPlainObject(value.result)) return rejected(usableId, '"result" must be an object', 'result');
    return E.right({ kind: 'response', message: value as JsonRpcResultResponse });
  }
  if (hasError) {
    if (usableId === null && id !== null) return rejected(null, '"id" must be a string, an integer or null', 'id');
    if (!isErrorObject(value.error)) {
      return rejected(usableId, '"error" must be an object with an integer "code" and a string "message"', 'error');
    }
    return E.right({ kind: 'error_response', message: value as JsonRpcErrorResponse });
  }
  return rejected(usableId, 'a message needs "method" (request or notification), or "result" or "error" (response)');
};
