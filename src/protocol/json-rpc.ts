import * as t from 'io-ts';

/**
 * JSON-RPC 2.0 envelopes as MCP uses them: the single source of truth for their shape. The hot
 * path (classify-message.ts) checks the same rules by hand; a property test holds the two together.
 */

export const JSONRPC_VERSION = '2.0';

/** An integer JSON can carry exactly (MCP: ids and codes are integers). */
export const SafeInteger = new t.Type<number, number, unknown>(
  'integer',
  (input): input is number => Number.isSafeInteger(input),
  (input, context) => (Number.isSafeInteger(input) ? t.success(input as number) : t.failure(input, context)),
  t.identity,
);

/** MCP: a request id is a string or an integer, never null. */
export const RequestId = t.union([t.string, SafeInteger], 'RequestId');
export type RequestId = t.TypeOf<typeof RequestId>;

/** JSON-RPC allows by-position (array) or by-name (object) params; which one a method takes is the method's concern. */
export const Params = t.union([t.UnknownRecord, t.UnknownArray], 'Params');

const Version = t.literal(JSONRPC_VERSION);

// An absent member is spelled `t.undefined` in a partial: JSON.parse never yields undefined, so a
// present member fails it. That keeps the four shapes mutually exclusive.

export const JsonRpcRequest = t.intersection(
  [t.type({ jsonrpc: Version, id: RequestId, method: t.string }), t.partial({ params: Params })],
  'JsonRpcRequest',
);
export type JsonRpcRequest = t.TypeOf<typeof JsonRpcRequest>;

export const JsonRpcNotification = t.intersection(
  [t.type({ jsonrpc: Version, method: t.string }), t.partial({ params: Params, id: t.undefined })],
  'JsonRpcNotification',
);
export type JsonRpcNotification = t.TypeOf<typeof JsonRpcNotification>;

/** MCP: every result is an object. */
export const JsonRpcResultResponse = t.intersection(
  [
    t.type({ jsonrpc: Version, id: RequestId, result: t.UnknownRecord }),
    t.partial({ method: t.undefined, error: t.undefined }),
  ],
  'JsonRpcResultResponse',
);
export type JsonRpcResultResponse = t.TypeOf<typeof JsonRpcResultResponse>;

export const JsonRpcError = t.intersection(
  [t.type({ code: SafeInteger, message: t.string }), t.partial({ data: t.unknown })],
  'JsonRpcError',
);
export type JsonRpcError = t.TypeOf<typeof JsonRpcError>;

/** `id` is null when the request's id could not be read (JSON-RPC §5). */
export const JsonRpcErrorResponse = t.intersection(
  [
    t.type({ jsonrpc: Version, id: t.union([RequestId, t.null]), error: JsonRpcError }),
    t.partial({ method: t.undefined, result: t.undefined }),
  ],
  'JsonRpcErrorResponse',
);
export type JsonRpcErrorResponse = t.TypeOf<typeof JsonRpcErrorResponse>;

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResultResponse | JsonRpcErrorResponse;
