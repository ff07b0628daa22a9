import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  classifyMessage,
  type IncomingMessage,
  JSON_RPC_ERROR_CODES,
  type JsonRpcErrorResponse,
  MAX_JSON_NESTING_DEPTH,
} from '../../src/protocol/index.js';

const { PARSE_ERROR, INVALID_REQUEST } = JSON_RPC_ERROR_CODES;

const accepted = (text: string): IncomingMessage => {
  const result = classifyMessage(text);
  if (E.isLeft(result)) throw new Error(`expected ${text} to be accepted, got ${JSON.stringify(result.left)}`);
  return result.right;
};

const rejected = (text: string): JsonRpcErrorResponse => {
  const result = classifyMessage(text);
  if (E.isRight(result)) throw new Error(`expected ${text} to be rejected, got ${result.right.kind}`);
  return result.left;
};

describe('classifyMessage: valid messages', () => {
  it.each([
    ['request, integer id', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}', 'request'],
    ['request, id 0', '{"jsonrpc":"2.0","id":0,"method":"ping"}', 'request'],
    ['request, negative id', '{"jsonrpc":"2.0","id":-7,"method":"ping"}', 'request'],
    ['request, string id', '{"jsonrpc":"2.0","id":"a-1","method":"ping"}', 'request'],
    ['request, empty string id', '{"jsonrpc":"2.0","id":"","method":"ping"}', 'request'],
    ['request, by-position params', '{"jsonrpc":"2.0","id":1,"method":"x","params":[1,2]}', 'request'],
    ['notification', '{"jsonrpc":"2.0","method":"notifications/initialized"}', 'notification'],
    ['response to a server request', '{"jsonrpc":"2.0","id":3,"result":{}}', 'response'],
    ['error response', '{"jsonrpc":"2.0","id":"s-1","error":{"code":-32601,"message":"nope"}}', 'error_response'],
    [
      'error response, id null',
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x","data":[1]}}',
      'error_response',
    ],
  ])('%s', (_, text, kind) => {
    const message = accepted(text);
    expect(message.kind).toBe(kind);
    expect(message.message).toEqual(JSON.parse(text));
  });

  it('accepts a message with a byte-order mark stripped by the transport and whitespace around it', () => {
    expect(accepted(' \t{"jsonrpc":"2.0","id":1,"method":"ping"}  ').kind).toBe('request');
  });
});

describe('classifyMessage: parse errors (-32700, id null)', () => {
  it.each([
    ['truncated JSON', '{"jsonrpc":"2.0","id":1,"method":"ping"'],
    ['trailing garbage', '{"jsonrpc":"2.0","id":1,"method":"ping"} x'],
    ['single quotes', "{'jsonrpc':'2.0'}"],
    ['not JSON at all', 'hello'],
    ['a trailing comma', '[1,]'],
    ['whitespace only', '   '],
  ])('%s', (_, text) => {
    const response = rejected(text);
    expect(response).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR } });
    expect(response.error.message).toMatch(/^Parse error: .*one JSON-RPC message per line/);
  });

  it('answers 100,000 nested arrays with -32700 without crashing', () => {
    const depth = 100_000;
    const text = '['.repeat(depth) + ']'.repeat(depth);
    // V8 (Node 20) parses this iteratively without a RangeError; JSON.stringify of the result would
    // throw, which is why the depth is refused before anything downstream sees the value.
    expect(rejected(text)).toMatchObject({ id: null, error: { code: PARSE_ERROR } });
    expect(rejected(text.slice(0, -1))).toMatchObject({ id: null, error: { code: PARSE_ERROR } });
  });

  it('answers deep nesting inside the params of a valid request with -32700', () => {
    const depth = 100_000;
    const text = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;
    expect(rejected(text)).toMatchObject({ id: null, error: { code: PARSE_ERROR } });
  });

  it('accepts nesting up to the limit, and brackets inside strings do not count', () => {
    const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
    const envelope = (args: string): string => `{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":${args}}}`;
    expect(accepted(envelope(nested(MAX_JSON_NESTING_DEPTH - 2))).kind).toBe('request');
    expect(rejected(envelope(nested(MAX_JSON_NESTING_DEPTH - 1))).error.code).toBe(PARSE_ERROR);
    expect(accepted(envelope(JSON.stringify('[{'.repeat(10_000) + '\\"['))).kind).toBe('request');
  });
});

describe('classifyMessage: invalid requests (-32600)', () => {
  it.each([
    ['id null', '{"jsonrpc":"2.0","id":null,"method":"ping"}'],
    ['id object', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}'],
    ['id array', '{"jsonrpc":"2.0","id":[1],"method":"ping"}'],
    ['id boolean', '{"jsonrpc":"2.0","id":true,"method":"ping"}'],
    ['id fractional', '{"jsonrpc":"2.0","id":1.5,"method":"ping"}'],
    ['id beyond 2^53', '{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}'],
  ])('wrong id type: %s → id null, path "id"', (_, text) => {
    expect(rejected(text)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: INVALID_REQUEST,
        message: 'Invalid Request: "id" must be a string or an integer',
        data: { path: 'id' },
      },
    });
  });

  it.each([
    ['1.0', '{"jsonrpc":"1.0","id":5,"method":"ping"}'],
    ['a number', '{"jsonrpc":2.0,"id":5,"method":"ping"}'],
    ['missing', '{"id":5,"method":"ping"}'],
  ])('jsonrpc version %s → the request id is kept', (_, text) => {
    expect(rejected(text)).toEqual({
      jsonrpc: '2.0',
      id: 5,
      error: { code: INVALID_REQUEST, message: 'Invalid Request: "jsonrpc" must be "2.0"', data: { path: 'jsonrpc' } },
    });
  });

  it.each([
    ['two requests', '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]'],
    ['empty batch', '[]'],
  ])('batch (%s) is rejected: MCP 2025-06-18 removed batching', (_, text) => {
    const response = rejected(text);
    expect(response).toMatchObject({ id: null, error: { code: INVALID_REQUEST } });
    expect(response.error.message).toMatch(/batch/);
  });

  it.each(['1', '"text"', 'null', 'true'])('a JSON value that is not an object (%s)', (text) => {
    expect(rejected(text)).toMatchObject({ id: null, error: { code: INVALID_REQUEST } });
  });

  it('missing method → keeps the id', () => {
    expect(rejected('{"jsonrpc":"2.0","id":"abc"}')).toMatchObject({ id: 'abc', error: { code: INVALID_REQUEST } });
  });

  it('method that is not a string → keeps the id, path "method"', () => {
    expect(rejected('{"jsonrpc":"2.0","id":9,"method":42}')).toMatchObject({
      id: 9,
      error: { code: INVALID_REQUEST, data: { path: 'method' } },
    });
  });

  it.each(['"x"', '1', 'null', 'true'])('params %s → keeps the id, path "params"', (params) => {
    expect(rejected(`{"jsonrpc":"2.0","id":9,"method":"ping","params":${params}}`)).toMatchObject({
      id: 9,
      error: { code: INVALID_REQUEST, data: { path: 'params' } },
    });
  });

  it('a notification with params that are not structured', () => {
    expect(rejected('{"jsonrpc":"2.0","method":"notifications/progress","params":"x"}')).toMatchObject({
      id: null,
      error: { code: INVALID_REQUEST, data: { path: 'params' } },
    });
  });

  it.each([
    ['both result and error', '{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}', 1, undefined],
    ['result that is not an object', '{"jsonrpc":"2.0","id":1,"result":[1]}', 1, 'result'],
    ['result without id', '{"jsonrpc":"2.0","result":{}}', null, 'id'],
    ['error without code', '{"jsonrpc":"2.0","id":1,"error":{"message":"x"}}', 1, 'error'],
    ['error with fractional code', '{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"x"}}', 1, 'error'],
    ['error without id', '{"jsonrpc":"2.0","error":{"code":1,"message":"x"}}', null, 'id'],
  ])('malformed response: %s', (_, text, id, path) => {
    const response = rejected(text);
    expect(response).toMatchObject({ id, error: { code: INVALID_REQUEST } });
    expect((response.error.data as { path?: string } | undefined)?.path).toBe(path);
  });
});
