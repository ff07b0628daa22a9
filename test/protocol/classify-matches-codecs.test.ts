import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  classifyMessage,
  classifyParsed,
  exceedsNestingDepth,
  JSON_RPC_ERROR_CODES,
  JsonRpcErrorResponse,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResultResponse,
} from '../../src/protocol/index.js';

/** The kind the io-ts codecs (the source of truth) give a value, if any. */
const kindByCodecs = (value: unknown): string | undefined => {
  const kinds = [
    JsonRpcRequest.is(value) && 'request',
    JsonRpcNotification.is(value) && 'notification',
    JsonRpcResultResponse.is(value) && 'response',
    JsonRpcErrorResponse.is(value) && 'error_response',
  ].filter((kind): kind is string => kind !== false);
  // The four shapes are mutually exclusive, so a message is never two things at once.
  expect(kinds.length).toBeLessThanOrEqual(1);
  return kinds[0];
};

const anyId = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
);

const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Messages close to valid ones: every member present or absent, well- or ill-typed. */
const nearMessage = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), fc.constant('1.0'), fc.constant(2), fc.constant(null)),
    id: anyId,
    method: fc.oneof(fc.constantFrom('ping', 'tools/call', ''), fc.integer(), fc.constant(null)),
    params: fc.oneof(fc.dictionary(fc.string(), anyJson, { maxKeys: 3 }), fc.array(anyJson, { maxLength: 3 }), anyJson),
    result: fc.oneof(fc.dictionary(fc.string(), anyJson, { maxKeys: 3 }), anyJson),
    error: fc.oneof(
      fc.record({ code: fc.integer(), message: fc.string() }),
      fc.record({ code: fc.integer(), message: fc.string(), data: anyJson }),
      fc.record({ code: fc.double({ noNaN: true, noDefaultInfinity: true }), message: fc.string() }),
      fc.record({ code: fc.integer() }),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);

const checkAgainstCodecs = (value: unknown): void => {
  const classification = classifyParsed(value);
  const expectedKind = kindByCodecs(value);
  if (E.isRight(classification)) {
    expect(classification.right.kind).toBe(expectedKind);
    expect(classification.right.message).toBe(value);
  } else {
    expect(expectedKind).toBeUndefined();
    expect(JsonRpcErrorResponse.is(classification.left)).toBe(true);
    expect(classification.left.error.code).toBe(JSON_RPC_ERROR_CODES.INVALID_REQUEST);
  }
};

describe('the hand-written classifier agrees with the io-ts codecs', () => {
  it('on messages close to valid ones', () => {
    fc.assert(fc.property(nearMessage, checkAgainstCodecs), { numRuns: 5000 });
  });

  it('on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), checkAgainstCodecs), { numRuns: 2000 });
  });

  it('keeps the id of a rejected message when, and only when, it is a usable one', () => {
    fc.assert(
      fc.property(nearMessage, (value) => {
        const classification = classifyParsed(value);
        if (E.isRight(classification)) return;
        const id = (value as { id?: unknown }).id;
        const usable = typeof id === 'string' || Number.isSafeInteger(id);
        expect(classification.left.id).toBe(usable ? id : null);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('classifyMessage never throws', () => {
  it('on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const classification = classifyMessage(text);
        if (E.isLeft(classification)) expect(JsonRpcErrorResponse.is(classification.left)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

/** Nesting depth of a JSON value, measured on the value (iteratively, to be independent of the scanner). */
const depthOf = (value: unknown): number => {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current === 'object' && current !== null) {
      deepest = Math.max(deepest, depth + 1);
      for (const child of Object.values(current)) pending.push([child, depth + 1]);
    }
  }
  return deepest;
};

describe('exceedsNestingDepth', () => {
  it('agrees with the depth of the parsed value, strings with brackets and escapes included', () => {
    const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a') });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        tricky,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(tricky, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 6 }), (json, limit) => {
        expect(exceedsNestingDepth(JSON.stringify(json), limit)).toBe(depthOf(json) > limit);
      }),
      { numRuns: 5000 },
    );
  });
});
