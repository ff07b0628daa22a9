import type { Readable, Writable } from 'node:stream';
import * as E from 'fp-ts/lib/Either.js';
import { defaultIfEmpty, filter, lastValueFrom, map, merge, mergeMap, share } from 'rxjs';
import type { RequestId } from '../domain/event-definition.js';
import { type IncomingMessage as ClassifiedMessage, classifyMessage } from '../protocol/classify-message.js';
import { invalidUtf8, messageTooLarge } from '../protocol/rpc-errors.js';
import type { Frame } from '../transport/frame.js';
import { StdioTransport } from '../transport/stdio-transport.js';
import { type IncomingMessage, McpConnection } from './connection.js';
import type { JsonRpcError } from './outcome.js';
import type { ServerContext } from './server-context.js';

export interface StdioServerOptions {
  readonly context: ServerContext;
  readonly agent: string;
  readonly sessionId: string;
  readonly input?: Readable;
  readonly output?: Writable;
}

export interface RunningStdioServer {
  readonly connection: McpConnection;
  /** Resolves when stdin has closed (or `stop` was called) and in-flight work is finished and recorded. */
  readonly finished: Promise<void>;
  /** Stops reading, finishes in-flight requests, ends the session. */
  readonly stop: (reason: string) => Promise<void>;
}

interface Rejection {
  readonly error: JsonRpcError;
  readonly id: RequestId | null;
  readonly bytes?: number;
}

/** A frame, with what it carried: a message to handle, or the reason it is answered with an error. */
type Dispatchable = { readonly frame: Frame; readonly message?: IncomingMessage; readonly rejection?: Rejection };

const toConnectionMessage = (classified: ClassifiedMessage): IncomingMessage => {
  switch (classified.kind) {
    case 'request':
      return {
        kind: 'request',
        id: classified.message.id,
        method: classified.message.method,
        params: classified.message.params,
      };
    case 'notification':
      return { kind: 'notification', method: classified.message.method, params: classified.message.params };
    case 'response':
      return { kind: 'response', id: classified.message.id, result: classified.message.result };
    case 'error_response':
      return { kind: 'response', id: classified.message.id ?? null, error: classified.message.error };
  }
};

/**
 * MCP over stdio: NDJSON frames from stdin, classified, then dispatched — requests with bounded
 * concurrency (further input waits, and stdin is paused when held input passes the threshold),
 * notifications at once so a cancellation always gets through. Responses go to stdout, logs to stderr.
 */
export const serveStdio = async (options: StdioServerOptions): Promise<RunningStdioServer> => {
  const { context } = options;
  const { limits } = context.config;
  const transport = new StdioTransport(options.input ?? process.stdin, options.output ?? process.stdout, {
    maxMessageBytes: limits.maxMessageBytes,
    bufferBytes: limits.inputBufferBytes,
  });
  const send = (message: unknown): void => {
    transport.send(message).catch((error: unknown) => context.logger.warn({ err: error }, 'could not write to stdout'));
  };
  const connection = await McpConnection.open(context, {
    transport: 'stdio',
    agent: options.agent,
    sessionId: options.sessionId,
    send: send as (message: Record<string, unknown>) => void,
  });

  const classified$ = transport.inbound$.pipe(
    map((frame): Dispatchable => {
      if (frame.kind === 'oversized') {
        return {
          frame,
          rejection: { error: messageTooLarge(frame.bytes, limits.maxMessageBytes), id: null, bytes: frame.bytes },
        };
      }
      if (frame.kind === 'invalid_utf8') return { frame, rejection: { error: invalidUtf8(), id: null } };
      const classification = classifyMessage(frame.text);
      if (E.isLeft(classification)) {
        const { error, id } = classification.left;
        return { frame, rejection: { error, id, bytes: frame.bytes } };
      }
      return { frame, message: toConnectionMessage(classification.right) };
    }),
    share(),
  );
  const release = (item: Dispatchable) => transport.release(item.frame);
  const handle = async (item: Dispatchable): Promise<void> => {
    try {
      if (item.message !== undefined) await connection.handle(item.message);
      else if (item.rejection !== undefined) {
        await connection.rejectMessage(item.rejection.error, item.rejection.id, item.rejection.bytes);
      }
    } catch (error) {
      context.logger.error({ err: error }, 'message handling failed');
    } finally {
      release(item);
    }
  };
  const requests$ = classified$.pipe(
    filter((item) => item.message?.kind === 'request'),
    mergeMap(handle, limits.concurrency),
  );
  const others$ = classified$.pipe(
    filter((item) => item.message?.kind !== 'request'),
    mergeMap(handle),
  );
  const done = lastValueFrom(merge(requests$, others$).pipe(defaultIfEmpty(undefined)));
  transport.start();

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      await connection.close(reason);
      await transport.close();
    })();
    return stopping;
  };
  const finished = done.then(() => stop('stdin closed'));
  return { connection, finished, stop };
};
