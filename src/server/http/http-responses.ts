import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestId } from '../../domain/event-definition.js';
import { JSON_RPC_ERROR_CODES } from '../../protocol/error-codes.js';
import type { JsonRpcError } from '../outcome.js';

export type Headers = Readonly<Record<string, string>>;

export const sendJson = (response: ServerResponse, status: number, body: unknown, headers: Headers = {}): void => {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

/** A JSON-RPC error as an HTTP response body: what MCP clients expect on any status. */
export const sendRpcError = (
  response: ServerResponse,
  status: number,
  error: JsonRpcError,
  options: { readonly id?: RequestId | null; readonly headers?: Headers } = {},
): void => sendJson(response, status, { jsonrpc: '2.0', id: options.id ?? null, error }, options.headers);

/** A refusal at the HTTP level (wrong method, missing header, unknown session): -32600 and a way out. */
export const httpRefusal = (message: string): JsonRpcError => ({
  code: JSON_RPC_ERROR_CODES.INVALID_REQUEST,
  message,
});

/** What the access log keeps about an HTTP request. */
export interface HttpRequestFacts {
  readonly httpMethod: string;
  readonly path: string;
  readonly origin?: string;
  readonly remoteAddress?: string;
}

export const factsOf = (request: IncomingMessage, path: string): HttpRequestFacts => {
  const origin = request.headers.origin;
  const remoteAddress = request.socket.remoteAddress;
  return {
    httpMethod: request.method ?? 'UNKNOWN',
    path,
    ...(origin === undefined ? {} : { origin: origin.slice(0, 200) }),
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
  };
};

/** One header's value, or undefined; a repeated header counts as its first value. */
export const headerOf = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

/** Whether an Accept header lists a media type (or a wildcard covering it). */
export const accepts = (accept: string | undefined, mediaType: string): boolean => {
  if (accept === undefined) return false;
  const [type] = mediaType.split('/');
  return accept
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase())
    .some((range) => range === mediaType || range === `${type}/*` || range === '*/*');
};

/** The media type of a Content-Type header, without parameters. */
export const mediaTypeOf = (contentType: string | undefined): string | undefined =>
  contentType?.split(';')[0]?.trim().toLowerCase();

export const retryAfterSeconds = (retryAfterMs: number): string => String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
