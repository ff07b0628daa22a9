import type { IncomingMessage } from 'node:http';

/** What a request body turned out to be. */
export type BodyRead =
  | { readonly kind: 'text'; readonly text: string; readonly bytes: number }
  /** Over the limit: `bytes` is what was declared or received before reading stopped. */
  | { readonly kind: 'too_large'; readonly bytes: number }
  | { readonly kind: 'invalid_utf8'; readonly bytes: number }
  /** The client went away before the body was complete. */
  | { readonly kind: 'aborted' };

/**
 * Reads a request body as UTF-8 text, holding at most `limitBytes` in memory: a declared
 * Content-Length over the limit is refused before anything is read, and a body that grows past
 * it stops being collected. The rest of an oversized body is left to the caller (see
 * `discardRest`), which answers 413 first.
 */
export const readBody = (request: IncomingMessage, limitBytes: number): Promise<BodyRead> => {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes)
    return Promise.resolve({ kind: 'too_large', bytes: declared });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (result: BodyRead): void => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onAborted);
      request.off('error', onAborted);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limitBytes) {
        chunks.length = 0;
        settle({ kind: 'too_large', bytes: received });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const body = Buffer.concat(chunks, received);
      try {
        settle({ kind: 'text', text: UTF8.decode(body), bytes: received });
      } catch {
        settle({ kind: 'invalid_utf8', bytes: received });
      }
    };
    const onAborted = (): void => settle({ kind: 'aborted' });
    request.on('data', onData);
    request.on('end', onEnd);
    // 'close' before 'end': the client went away mid-body.
    request.on('close', onAborted);
    request.on('error', onAborted);
  });
};

/** Fatal: a body that is not UTF-8 is refused rather than decoded with replacement characters. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reads and drops what is left of a body the server refuses, so the client (which may still be
 * sending) reads the refusal instead of a reset connection. Resolves true once the body has
 * ended; past `maxBytes` the socket is destroyed and it resolves false (nobody left to answer).
 */
export const discardRest = (request: IncomingMessage, maxBytes: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (request.complete || request.readableEnded) {
      resolve(true);
      return;
    }
    let dropped = 0;
    const settle = (drained: boolean): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      resolve(drained);
    };
    const onData = (chunk: Buffer): void => {
      dropped += chunk.length;
      if (dropped <= maxBytes) return;
      settle(false);
      request.socket.destroy();
    };
    const onEnd = (): void => settle(true);
    const onClose = (): void => settle(request.complete);
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onClose);
    request.resume();
  });
