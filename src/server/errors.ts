import type { ApexErrorName } from '../protocol/error-codes.js';
import { apexError as protocolApexError } from '../protocol/rpc-errors.js';
import type { JsonRpcError } from './outcome.js';

export {
  internalError,
  invalidParams,
  invalidRequest,
  methodNotFound,
  resourceNotFound,
  toWireError,
} from '../protocol/rpc-errors.js';

/** The APEX conditions a handler may answer with. */
export type ApexConditionName = ApexErrorName;

export const apexError = (name: ApexConditionName, message: string): JsonRpcError => protocolApexError(name, message);

export const permissionDenied = (message: string): JsonRpcError => protocolApexError('PERMISSION_DENIED', message);

/** A legacy request other than initialize or ping before the handshake completed. */
export const serverNotInitialized = (method: string): JsonRpcError => ({
  code: -32600,
  message: `Invalid Request: ${method} needs an initialized session; send initialize, then notifications/initialized`,
});

/** A request that outlived its TTL (seed §4): stopped, answered, and penalised. */
export const requestTimedOut = (ttlMs: number): JsonRpcError =>
  protocolApexError(
    'REQUEST_TIMED_OUT',
    `The request ran longer than its ${ttlMs} ms time limit and was stopped; a timeout penalty was charged.`,
    { ttlMs },
  );
