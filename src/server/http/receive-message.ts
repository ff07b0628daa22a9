import type { IncomingMessage as HttpRequest, ServerResponse } from 'node:http';
import * as E from 'fp-ts/lib/Either.js';
import type { RequestId } from '../../domain/event-definition.js';
import { classifyParsed } from '../../protocol/classify-message.js';
import { JSON_RPC_ERROR_CODES } from '../../protocol/error-codes.js';
import { exceedsNestingDepth, MAX_JSON_NESTING_DEPTH } from '../../protocol/json-nesting.js';
import { discardRest, readBody } from '../../transport/http/read-body.js';
import type { IncomingMessage } from '../connection.js';
import type { JsonRpcError } from '../outcome.js';
import { sendRpcError } from './http-responses.js';

export interface UnparsableBody {
  readonly error: JsonRpcError;
  readonly id: RequestId | null;
}

const parseError = (reason: string): UnparsableBody => ({
  error: {
    code: JSON_RPC_ERROR_CODES.PARSE_ERROR,
    message: `Parse error: ${reason}. POST one JSON-RPC message as JSON.`,
  },
  id: null,
});

/**
 * A POST body → one JSON-RPC message, with the JSON-RPC rules stdio applies to a line (see
 * classifyParsed). Batches are refused: MCP dropped them in 2025-06-18.
 */
export const parseMessageBody = (text: string): E.Either<UnparsableBody, IncomingMessage> => {
  if (exceedsNestingDepth(text, MAX_JSON_NESTING_DEPTH)) {
    return E.left(parseError(`arrays and objects nest deeper than ${MAX_JSON_NESTING_DEPTH} levels`));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse reports malformed text only by throwing; here that is an expected outcome.
    return E.left(parseError('the request body is not valid JSON'));
  }
  if (Array.isArray(value)) {
    return E.left({
      error: {
        code: JSON_RPC_ERROR_CODES.INVALID_REQUEST,
        message:
          'Invalid Request: batches (JSON arrays) are not supported since MCP 2025-06-18; POST each message alone',
      },
      id: null,
    });
  }
  const classified = classifyParsed(value);
  if (E.isLeft(classified)) return E.left({ error: classified.left.error, id: classified.left.id });
  const { right } = classified;
  switch (right.kind) {
    case 'request':
      return E.right({
        kind: 'request',
        id: right.message.id,
        method: right.message.method,
        params: right.message.params,
      });
    case 'notification':
      return E.right({ kind: 'notification', method: right.message.method, params: right.message.params });
    case 'response':
      return E.right({ kind: 'response', id: right.message.id, result: right.message.result });
    case 'error_response':
      return E.right({ kind: 'response', id: right.message.id ?? null, error: right.message.error });
  }
};

/** A refused oversized body is read and dropped up to this much, so the client sees the 413. */
const DISCARD_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * Reads one JSON-RPC message from a POST body, or answers why not: 413 over the limit, 400 with
 * a parse error (-32700) for text that is not UTF-8 JSON, 400 with -32600 for JSON that is not
 * one JSON-RPC message. Undefined when it answered (or the client went away).
 */
export const receiveMessage = async (
  request: HttpRequest,
  response: ServerResponse,
  maxBodyBytes: number,
): Promise<IncomingMessage | undefined> => {
  const body = await readBody(request, maxBodyBytes);
  if (body.kind === 'aborted') return undefined;
  if (body.kind === 'too_large') {
    // Read to the end first: answering while the client still sends makes many clients see a reset.
    // A body declared far too large is not worth reading: answered at once, and the connection closed.
    const hopeless = body.bytes > DISCARD_LIMIT_BYTES;
    if (!hopeless && !(await discardRest(request, DISCARD_LIMIT_BYTES))) return undefined;
    sendRpcError(
      response,
      413,
      {
        code: JSON_RPC_ERROR_CODES.INVALID_REQUEST,
        message: `Payload Too Large: the body is at least ${body.bytes} bytes; the limit is ${maxBodyBytes} bytes per message`,
        data: { bytes: body.bytes, limitBytes: maxBodyBytes },
      },
      hopeless ? { headers: { Connection: 'close' } } : {},
    );
    return undefined;
  }
  if (body.kind === 'invalid_utf8') {
    sendRpcError(response, 400, {
      code: JSON_RPC_ERROR_CODES.PARSE_ERROR,
      message: 'Parse error: the request body is not valid UTF-8.',
    });
    return undefined;
  }
  const parsed = parseMessageBody(body.text);
  if (E.isLeft(parsed)) {
    sendRpcError(response, 400, parsed.left.error, { id: parsed.left.id });
    return undefined;
  }
  return parsed.right;
};
