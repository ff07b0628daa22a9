import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { JSON_RPC_ERROR_CODES } from '../../protocol/error-codes.js';
import { modernHttpStatus } from '../../protocol/modern-errors.js';
import { internalError } from '../../protocol/rpc-errors.js';
import { SseWriter } from '../../transport/http/sse-writer.js';
import { type IncomingMessage, McpConnection, type OutgoingMessage } from '../connection.js';
import type { ServerContext } from '../server-context.js';
import { sendJson, sendRpcError } from './http-responses.js';

type RequestMessage = Extract<IncomingMessage, { kind: 'request' }>;

const isResponse = (message: OutgoingMessage): boolean =>
  'id' in message && ('result' in message || 'error' in message);

const progressTokenOf = (params: unknown): unknown =>
  (params as { _meta?: { progressToken?: unknown } } | undefined)?._meta?.progressToken;

/**
 * One 2026-07-28 request over HTTP: no session, so it is an exchange of its own — a session stream
 * opened for it (SessionStarted), the request with everything it records, SessionEnded — answered
 * on its POST: one JSON body, or an SSE stream when it asked for progress and the client takes one.
 * Not resumable (the revision has no Last-Event-ID); a dropped connection cancels the request.
 */
export const serveModernRequest = async (options: {
  readonly context: ServerContext;
  readonly agent: string;
  readonly message: RequestMessage;
  readonly response: ServerResponse;
  readonly acceptsSse: boolean;
  readonly keepAliveMs: number;
}): Promise<void> => {
  const { context, agent, message, response } = options;
  // A subscription's notifications, or a request's progress, need a stream; everything else is one body.
  const streamed =
    options.acceptsSse && (message.method === 'subscriptions/listen' || progressTokenOf(message.params) !== undefined);
  let sse: SseWriter | undefined;
  let answered = false;
  const connection = await McpConnection.open(context, {
    transport: 'http',
    agent,
    sessionId: randomUUID(),
    send: (outgoing) => {
      if (answered) return;
      if (isResponse(outgoing)) {
        answered = true;
        if (sse !== undefined) {
          sse.send(outgoing);
          sse.end();
          return;
        }
        const error = outgoing.error as { code: number } | undefined;
        // An unknown or removed method is 404 on this revision; other handler errors travel in a 200.
        const status =
          error === undefined
            ? 200
            : error.code === JSON_RPC_ERROR_CODES.METHOD_NOT_FOUND
              ? 404
              : modernHttpStatus(error, 'handler');
        sendJson(response, status, outgoing);
        return;
      }
      // Notifications of this request (progress, logs) go before its answer, on its SSE stream.
      sse?.send(outgoing);
    },
  });
  if (streamed) sse = new SseWriter(response, {}, options.keepAliveMs);
  // The client hanging up is how this revision cancels a request over HTTP.
  const onClose = () => {
    if (!answered) {
      void connection.handle({
        kind: 'notification',
        method: 'notifications/cancelled',
        params: { requestId: message.id, reason: 'the client closed the HTTP request' },
      });
    }
  };
  response.once('close', onClose);
  try {
    await connection.handle(message);
  } catch (error) {
    context.logger.error({ err: error, agent }, 'a stateless request failed');
    if (!answered && !response.headersSent) sendRpcError(response, 500, internalError(), { id: message.id });
  } finally {
    response.off('close', onClose);
    if (!answered) {
      // Cancelled: nothing to answer.
      if (sse !== undefined) sse.end();
      else if (!response.headersSent) response.writeHead(202).end();
    }
    await connection.close('stateless request answered');
  }
};
