import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  classifyMessage,
  errorResponse,
  invalidUtf8,
  JSON_RPC_ERROR_CODES,
  JsonRpcErrorResponse,
  messageTooLarge,
} from '../../src/protocol/index.js';
import { type Frame, MAX_MESSAGE_BYTES, NdjsonFramer } from '../../src/transport/index.js';

/** What the server answers for one frame: a classified message, or the error response to send. */
const answer = (frame: Frame): E.Either<JsonRpcErrorResponse, unknown> => {
  switch (frame.kind) {
    case 'message':
      return classifyMessage(frame.text);
    case 'invalid_utf8':
      return E.left(errorResponse(null, invalidUtf8()));
    case 'oversized':
      return E.left(errorResponse(null, messageTooLarge(frame.bytes, MAX_MESSAGE_BYTES)));
  }
};

const framesOf = (bytes: Uint8Array): Frame[] => {
  const frames: Frame[] = [];
  const framer = new NdjsonFramer({ maxMessageBytes: 64 });
  const emit = (frame: Frame): void => {
    frames.push(frame);
  };
  framer.push(Buffer.from(bytes), emit);
  framer.end(emit);
  return frames;
};

describe('bytes to answers', () => {
  it('turns random bytes into valid JSON-RPC error responses (or messages), never an exception', () => {
    const newlineHeavy = fc.uint8Array({ maxLength: 300 }).map((bytes) => bytes.map((b) => (b % 7 === 0 ? 0x0a : b)));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), newlineHeavy), (bytes) => {
        for (const frame of framesOf(bytes)) {
          const result = answer(frame);
          if (E.isLeft(result)) {
            expect(JsonRpcErrorResponse.is(result.left)).toBe(true);
            expect([JSON_RPC_ERROR_CODES.PARSE_ERROR, JSON_RPC_ERROR_CODES.INVALID_REQUEST]).toContain(
              result.left.error.code,
            );
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('answers invalid UTF-8 with -32700 and an id of null', () => {
    const [frame] = framesOf(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a]));
    expect(frame).toEqual({ kind: 'invalid_utf8' });
    expect(answer(frame!)).toEqual(
      E.left({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32700,
          message: 'Parse error: the line is not valid UTF-8. Send one JSON-RPC message per line.',
        },
      }),
    );
  });

  it('answers an oversized line with -32600, naming its size and the limit', () => {
    expect(answer({ kind: 'oversized', bytes: 600_000 })).toEqual(
      E.left({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: 'Invalid Request: the message is 600000 bytes; the limit is 524288 bytes per line',
          data: { bytes: 600_000, limitBytes: 524_288 },
        },
      }),
    );
  });
});
