import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { REPO_ROOT, readAllEvents, writeConfig } from '../support/apex-process.js';
import { RawStdioPeer, type RequestId, type WireError, type WireMessage } from '../support/raw-stdio-peer.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-bad-input');

const CONFIG = {
  agents: { alice: { name: 'Alice', balance: '1000', permissions: ['demo'] } },
  toolsets: ['demo'],
};

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const RESOURCE_NOT_FOUND = -32002;
const UNSUPPORTED_PROTOCOL_VERSION = -32022;
const LIMIT_BYTES = 512 * 1024;
const MODERN_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

/** Every error any server of this file sent, for the "no internals leak" check. */
const errorsSeen: WireError[] = [];
/** Every server of this file, for the "stdout is only JSON-RPC" check and cleanup. */
const peers: RawStdioPeer[] = [];

const startPeer = (store: string): RawStdioPeer => {
  const peer = RawStdioPeer.start({ config: writeConfig(temp.dir, CONFIG), store, agent: 'alice' });
  peers.push(peer);
  return peer;
};

afterAll(() => {
  for (const peer of peers) peer.kill();
});

const errorOf = (response: WireMessage): WireError => {
  expect(response.error, `expected an error, got ${JSON.stringify(response)}`).toBeDefined();
  errorsSeen.push(response.error!);
  return response.error!;
};

const takeNullIdErrors = (peer: RawStdioPeer): WireError[] => {
  const errors = peer.takeNullIdErrors();
  errorsSeen.push(...errors);
  return errors;
};

let idCounter = 0;
const freshId = (label: string): string => `${label}-${++idCounter}`;

/** A valid request after the bad input: the server must still answer it. */
const expectStillServing = async (peer: RawStdioPeer): Promise<void> => {
  const id = freshId('alive');
  const echoed = await peer.request(id, 'tools/call', { name: 'echo', arguments: { message: id } });
  expect(echoed.error).toBeUndefined();
  expect(echoed.result).toEqual({ content: [{ type: 'text', text: id }] });
};

/** Random bytes without `\n` or `\r`, so the test alone decides where lines end. */
const randomLineBytes = (length: number): Buffer => {
  const bytes = randomBytes(length);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a || bytes[i] === 0x0d) bytes[i] = 0x20;
  return bytes;
};

const pingLine = (id: RequestId): string => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' })}\n`;

describe('apex serve fed bad input over raw stdio', () => {
  const store = temp.file('bad-input');
  let peer: RawStdioPeer;
  /** Requests with a usable id that reached the server: id → the code its RequestFailed must carry. */
  const recordedFailures = new Map<RequestId, number>();

  const expectFailure = async (
    method: string,
    params: unknown,
    code: number,
    label = method.replace(/\W/g, '-'),
  ): Promise<WireError> => {
    const id = freshId(label);
    const error = errorOf(await peer.request(id, method, params));
    expect(error.code).toBe(code);
    recordedFailures.set(id, code);
    return error;
  };

  beforeAll(async () => {
    peer = startPeer(store);
    const initialized = await peer.initialize();
    expect(initialized.result).toMatchObject({ serverInfo: { name: 'apex' } });
  });

  it('answers a few KB of random bytes with -32700 parse errors, one per line, and keeps serving', async () => {
    const binaryLines = Array.from({ length: 48 }, () => randomLineBytes(64));
    // Printable ASCII: valid UTF-8, so these reach JSON.parse; a leading `}` makes them invalid JSON for sure.
    const textLines = Array.from({ length: 16 }, () =>
      Buffer.from(`}${[...randomBytes(63)].map((byte) => String.fromCharCode(0x21 + (byte % 94))).join('')}`),
    );
    const lines = [...binaryLines, ...textLines];
    await peer.write(Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
    await expectStillServing(peer);
    const errors = takeNullIdErrors(peer);
    expect(errors).toHaveLength(lines.length);
    for (const error of errors) expect(error.code).toBe(PARSE_ERROR);
  });

  it('answers a line of invalid UTF-8 with -32700 and id null, for each kind of bad sequence', async () => {
    const invalid = [
      [0x7b, 0xc3, 0x28, 0x7d], // a 2-byte lead followed by ASCII
      [0xc0, 0x80], // overlong NUL
      [0xed, 0xa0, 0x80], // an encoded UTF-16 surrogate
      [0xff, 0xfe], // bytes that never occur in UTF-8
      [0x22, 0xe2, 0x82], // a sequence cut off by the end of the line
    ];
    await peer.write(Buffer.concat(invalid.map((bytes) => Buffer.from([...bytes, 0x0a]))));
    await expectStillServing(peer);
    const errors = takeNullIdErrors(peer);
    expect(errors).toHaveLength(invalid.length);
    for (const error of errors) {
      expect(error.code).toBe(PARSE_ERROR);
      expect(error.message).toMatch(/UTF-8/);
    }
  });

  it('answers invalid JSON with -32700', async () => {
    const lines = [
      '{bad',
      '{"jsonrpc":"2.0","id":1,"method":"ping"',
      'null x',
      '\u0000',
      "{'jsonrpc':'2.0'}",
      '{"a":1,}',
    ];
    await peer.write(lines.map((line) => `${line}\n`).join(''));
    await expectStillServing(peer);
    const errors = takeNullIdErrors(peer);
    expect(errors.map((error) => error.code)).toEqual(lines.map(() => PARSE_ERROR));
    for (const error of errors) expect(error.message).toMatch(/not valid JSON/);
  });

  it('answers a 513 KiB line with exactly one -32600 naming its size and the limit, and serves the next line', async () => {
    const bytes = 513 * 1024;
    const head =
      '{"jsonrpc":"2.0","id":"too-big","method":"tools/call","params":{"name":"echo","arguments":{"message":"';
    const tail = '"}}}';
    const line = head + 'x'.repeat(bytes - head.length - tail.length) + tail;
    expect(Buffer.byteLength(line)).toBe(bytes);
    const nextId = freshId('after-big');
    const next = peer.nextResponse(nextId);
    await peer.write(`${line}\n${pingLine(nextId)}`);
    expect((await next).result).toEqual({});
    const errors = takeNullIdErrors(peer);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(INVALID_REQUEST);
    expect(errors[0]!.message).toContain(`message is ${bytes} bytes; the limit is ${LIMIT_BYTES} bytes`);
    expect(errors[0]!.data).toEqual({ bytes, limitBytes: LIMIT_BYTES });
    // The oversized request itself was never handled.
    expect(peer.messages.some((message) => message.id === 'too-big')).toBe(false);
  });

  it('accepts a line of exactly the limit (even with \\r\\n) and refuses one byte more', async () => {
    const atLimit = (id: string): string => {
      const message = JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });
      return message + ' '.repeat(LIMIT_BYTES - message.length);
    };
    const fits = freshId('fits');
    const fitsResponse = peer.nextResponse(fits);
    await peer.write(`${atLimit(fits)}\r\n`);
    expect((await fitsResponse).result).toEqual({});
    await peer.write(`${atLimit('one-over')} \n`);
    await expectStillServing(peer);
    const errors = takeNullIdErrors(peer);
    expect(errors.map((error) => error.code)).toEqual([INVALID_REQUEST]);
    expect(errors[0]!.data).toEqual({ bytes: LIMIT_BYTES + 1, limitBytes: LIMIT_BYTES });
    expect(peer.messages.some((message) => message.id === 'one-over')).toBe(false);
  });

  it('answers JSON nested 100,000 deep with -32700, alone or inside a request, and stays alive', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const deepInRequest = JSON.stringify({
      jsonrpc: '2.0',
      id: 'deep',
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: 'x' } },
    }).replace('"x"', deep);
    await peer.write(`${deep}\n${deepInRequest}\n`);
    await expectStillServing(peer);
    const errors = takeNullIdErrors(peer);
    expect(errors.map((error) => error.code)).toEqual([PARSE_ERROR, PARSE_ERROR]);
    for (const error of errors) expect(error.message).toMatch(/nest deeper than/);
    expect(peer.messages.some((message) => message.id === 'deep')).toBe(false);
  });

  it('answers ids of the wrong type (null, object, array, boolean, fraction, unsafe integer) with -32600 and id null', async () => {
    const badIds = ['null', '{"a":1}', '[1]', 'true', '1.5', '9007199254740993'];
    await peer.write(badIds.map((id) => `{"jsonrpc":"2.0","id":${id},"method":"ping"}\n`).join(''));
    await expectStillServing(peer);
    const errors = takeNullIdErrors(peer);
    expect(errors).toHaveLength(badIds.length);
    for (const error of errors) {
      expect(error.code).toBe(INVALID_REQUEST);
      expect(error.data).toEqual({ path: 'id' });
    }
    // ids that are fine on the wire: a negative integer, an empty string.
    expect((await peer.request(-3, 'ping')).result).toEqual({});
    expect((await peer.request('', 'ping')).result).toEqual({});
  });

  it('answers "jsonrpc":"1.0" with -32600 (keeping the id) and a batch with -32600 (id null)', async () => {
    const versioned = peer.nextResponse('v1');
    await peer.write('{"jsonrpc":"1.0","id":"v1","method":"ping"}\n');
    const versionError = errorOf(await versioned);
    expect(versionError.code).toBe(INVALID_REQUEST);
    expect(versionError.data).toEqual({ path: 'jsonrpc' });

    await peer.write(`[${pingLine('in-batch-1').trim()},${pingLine('in-batch-2').trim()}]\n[]\n`);
    await expectStillServing(peer);
    const errors = takeNullIdErrors(peer);
    expect(errors.map((error) => error.code)).toEqual([INVALID_REQUEST, INVALID_REQUEST]);
    for (const error of errors) expect(error.message).toMatch(/batch/);
    expect(peer.messages.some((message) => message.id === 'in-batch-1' || message.id === 'in-batch-2')).toBe(false);
  });

  it('answers an unknown method with -32601 naming the method in data', async () => {
    const error = await expectFailure('apex/does-not-exist', {}, METHOD_NOT_FOUND, 'unknown-method');
    expect(error.data).toEqual({ method: 'apex/does-not-exist' });
    expect(error.message).toContain('apex/does-not-exist');
    await expectStillServing(peer);
  });

  it('answers missing or wrong params with -32602 and the path of the field', async () => {
    const cases: { method: string; params: unknown; path: string }[] = [
      { method: 'tools/call', params: {}, path: 'params.name' },
      { method: 'tools/call', params: { name: 5 }, path: 'params.name' },
      { method: 'tools/call', params: { name: 'echo', arguments: 'hello' }, path: 'params.arguments' },
      { method: 'tools/call', params: { name: 'echo', arguments: ['hello'] }, path: 'params.arguments' },
      { method: 'resources/read', params: { uri: 42 }, path: 'params.uri' },
      {
        method: 'prompts/get',
        params: { name: 'task', arguments: { task_type: 7 } },
        path: 'params.arguments.task_type',
      },
      { method: 'logging/setLevel', params: { level: 'loud' }, path: 'params.level' },
      { method: 'ping', params: [], path: 'params' },
    ];
    for (const { method, params, path } of cases) {
      const error = await expectFailure(method, params, INVALID_PARAMS);
      expect(error.data, `${method} ${JSON.stringify(params)}`).toEqual({ path });
      expect(error.message).toContain(path);
    }
    await expectStillServing(peer);
  });

  it('answers an unknown tool with -32602 and an unknown resource URI with -32002 (legacy era)', async () => {
    const tool = await expectFailure(
      'tools/call',
      { name: 'no_such_tool', arguments: {} },
      INVALID_PARAMS,
      'unknown-tool',
    );
    expect(tool.data).toEqual({ path: 'params.name' });
    const resource = await expectFailure(
      'resources/read',
      { uri: 'nope://nothing/here' },
      RESOURCE_NOT_FOUND,
      'unknown-uri',
    );
    expect(resource.data).toEqual({ uri: 'nope://nothing/here' });
    await expectStillServing(peer);
  });

  it('answers a resource URI with a malformed %-escape as not found (-32002), not as an internal error', async () => {
    // decodeURIComponent throws URIError on `%E0%A4%A`; the memory://vector branch catches it, the others must too.
    const codes: Record<string, number | undefined> = {};
    for (const [method, uri] of [
      ['resources/read', 'payroll://ledger/%E0%A4%A'],
      ['resources/read', 'memory://context/%E0%A4%A'],
      ['resources/read', 'memory://vector/%E0%A4%A'],
      ['resources/subscribe', 'payroll://ledger/%E0%A4%A'],
    ] as const) {
      codes[`${method} ${uri}`] = errorOf(await peer.request(freshId('bad-escape'), method, { uri })).code;
    }
    expect(codes).toEqual({
      'resources/read payroll://ledger/%E0%A4%A': RESOURCE_NOT_FOUND,
      'resources/read memory://context/%E0%A4%A': RESOURCE_NOT_FOUND,
      'resources/read memory://vector/%E0%A4%A': RESOURCE_NOT_FOUND,
      'resources/subscribe payroll://ledger/%E0%A4%A': RESOURCE_NOT_FOUND,
    });
    await expectStillServing(peer);
  });

  it('answers a second request with an id still in flight with -32600, and the first still completes', async () => {
    const answers = [peer.nextResponse(7), peer.nextResponse(7)];
    // Both lines in one write: the second arrives while the sleep is surely still running.
    await peer.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 2000 } } })}\n` +
        `${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { message: 'dup' } } })}\n`,
    );
    // "7" is a different id from 7: it is served while the sleep runs.
    expect((await peer.request('7', 'ping')).result).toEqual({});
    const [refused, completed] = [...(await Promise.all(answers))].sort(
      (a, b) => Number(b.error !== undefined) - Number(a.error !== undefined),
    );
    expect(errorOf(refused!).code).toBe(INVALID_REQUEST);
    expect(refused!.error!.message).toMatch(/already in flight/);
    expect(completed!.error).toBeUndefined();
    expect(completed!.result).toMatchObject({ content: [{ type: 'text', text: 'slept 2000 ms' }] });
    // Once the first is done, the id may be used again.
    expect((await peer.request(7, 'ping')).result).toEqual({});
  });

  it('sends nothing back for a flood of 20,000 notifications, and answers the request right after', async () => {
    const before = peer.messages.length;
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      lines.push(JSON.stringify({ jsonrpc: '2.0', method: `notifications/unknown/${i % 97}`, params: { i } }));
      lines.push(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: i % 2 === 0 ? { progressToken: i, progress: i } : { progress: 'not a number' },
        }),
      );
    }
    lines.push(
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'never-sent' } }),
    );
    const id = freshId('after-flood');
    const answered = peer.nextResponse(id);
    await peer.write(`${lines.join('\n')}\n${pingLine(id)}`);
    expect((await answered).result).toEqual({});
    expect(peer.messages.slice(before)).toEqual([{ jsonrpc: '2.0', id, result: {} }]);
  });

  it('streams a 50 MiB line without holding it: one -32600, then it serves, and peak memory stays bounded', async () => {
    const total = 50 * 1024 * 1024;
    const chunkBytes = 64 * 1024;
    const head = Buffer.from(
      '{"jsonrpc":"2.0","id":"huge","method":"tools/call","params":{"name":"echo","arguments":{"message":"',
    );
    const tail = Buffer.from('"}}}\n');
    const filler = Buffer.alloc(chunkBytes, 'y');
    await peer.write(head);
    let written = head.length;
    const fillerTotal = total - head.length - (tail.length - 1);
    while (written < head.length + fillerTotal) {
      const size = Math.min(chunkBytes, head.length + fillerTotal - written);
      await peer.write(size === chunkBytes ? filler : filler.subarray(0, size));
      written += size;
    }
    await peer.write(tail);
    await expectStillServing(peer);
    const errors = takeNullIdErrors(peer);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(INVALID_REQUEST);
    expect(errors[0]!.data).toEqual({ bytes: total, limitBytes: LIMIT_BYTES });
    expect(peer.messages.some((message) => message.id === 'huge')).toBe(false);
    expect(peer.peakResidentBytes()).toBeLessThan(400 * 1024 * 1024);
  });

  it('leaks no internals: no stack trace, no path of this repository, no SQL in any error sent', () => {
    const sql = /\b(select|insert|update|delete)\b[\s\S]*\b(from|into|set|where)\b|sqlite|SQLITE_/i;
    expect(errorsSeen.length).toBeGreaterThan(20);
    for (const error of errorsSeen) {
      const text = JSON.stringify(error);
      expect(text).not.toContain('    at ');
      expect(text).not.toContain(REPO_ROOT);
      expect(text).not.toMatch(/\/work\/|\/src\/|\.ts:\d/);
      expect(text).not.toMatch(sql);
    }
  });

  it('exits 0 when stdin closes, wrote only JSON-RPC lines to stdout, and recorded each failed request with its code', async () => {
    // An oversized line cut off by the end of input still gets its error before the process exits.
    await peer.write('z'.repeat(LIMIT_BYTES + 10));
    const exit = await peer.close();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(takeNullIdErrors(peer).map((error) => error.code)).toEqual([INVALID_REQUEST]);
    expectOnlyJsonRpcOnStdout(peer);

    const events = await readAllEvents(store);
    const failed = new Map<unknown, number>();
    for (const event of events.filter((e) => e.type === 'RequestFailed')) {
      const data = event.data as { requestId: RequestId; code: number };
      failed.set(data.requestId, data.code);
    }
    expect(recordedFailures.size).toBeGreaterThanOrEqual(10);
    for (const [id, code] of recordedFailures) expect(failed.get(id), `RequestFailed for ${id}`).toBe(code);
    // Messages that were not requests are recorded as rejected, with the code they were answered with.
    const rejected = events
      .filter((event) => event.type === 'MessageRejected')
      .map((event) => event.data as { code: number; requestId?: unknown; bytes?: number });
    expect(rejected.some((data) => data.code === -32700)).toBe(true);
    expect(rejected.some((data) => data.code === INVALID_REQUEST && (data.bytes ?? 0) > LIMIT_BYTES)).toBe(true);
    // The duplicate id 7 was refused (recorded as a rejected message, not a request); the sleep behind id 7 completed.
    expect(rejected.some((data) => data.requestId === 7 && data.code === INVALID_REQUEST)).toBe(true);
    const sevens = events.filter((event) => (event.data as { requestId?: unknown }).requestId === 7);
    expect(typesOf(sevens.filter((event) => event.type.startsWith('Request')))).toEqual([
      'RequestReceived',
      'RequestCompleted',
      'RequestReceived',
      'RequestCompleted',
    ]);
    expect(events.some((event) => event.type === 'SessionEnded')).toBe(true);
  });
});

describe('apex serve asked for work before initialize', () => {
  const store = temp.file('before-init');
  let peer: RawStdioPeer;

  beforeAll(() => {
    peer = startPeer(store);
  });

  it('refuses tools/list before initialize with -32600, then initializes and serves it', async () => {
    const early = errorOf(await peer.request('early', 'tools/list'));
    expect(early.code).toBe(INVALID_REQUEST);
    expect(early.message).toMatch(/initialize/);
    // initialize alone is not enough: the client must also send notifications/initialized.
    const initialized = await peer.request('init', 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'bad-input', version: '1.0.0' },
    });
    expect(initialized.result).toMatchObject({ protocolVersion: '2025-06-18' });
    expect(errorOf(await peer.request('half-way', 'tools/list')).code).toBe(INVALID_REQUEST);
    await peer.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const listed = await peer.request('listed', 'tools/list');
    expect((listed.result as { tools: { name: string }[] }).tools.map((tool) => tool.name)).toContain('echo');
    // A second initialize on the same connection is refused; the connection stays usable.
    const again = await peer.request('again', 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'bad-input', version: '1.0.0' },
    });
    expect(errorOf(again).code).toBe(INVALID_REQUEST);
    await expectStillServing(peer);
  });

  it('exits 0 on end of input, and recorded the early requests as failed with -32600', async () => {
    expect(await peer.close()).toEqual({ code: 0, signal: null });
    expectOnlyJsonRpcOnStdout(peer);
    const events = await readAllEvents(store);
    const failed = events
      .filter((event) => event.type === 'RequestFailed')
      .map((event) => event.data as { requestId: RequestId; code: number });
    expect(failed).toEqual([
      expect.objectContaining({ requestId: 'early', code: INVALID_REQUEST }),
      expect.objectContaining({ requestId: 'half-way', code: INVALID_REQUEST }),
      expect.objectContaining({ requestId: 'again', code: INVALID_REQUEST }),
    ]);
  });
});

describe('apex serve given a request whose _meta names a protocol version it does not know', () => {
  const store = temp.file('bogus-version');
  let peer: RawStdioPeer;

  beforeAll(() => {
    peer = startPeer(store);
  });

  it('refuses it with -32022 (unsupported protocol version) instead of serving it without a handshake', async () => {
    const response = await peer.request('bogus', 'tools/list', {
      _meta: { [MODERN_VERSION_KEY]: 'not-a-version', 'io.modelcontextprotocol/clientCapabilities': {} },
    });
    expect(response.result, 'a made-up protocol version must not bypass initialize').toBeUndefined();
    expect(errorOf(response).code).toBe(UNSUPPORTED_PROTOCOL_VERSION);
    expect(errorOf(response).data).toMatchObject({
      requested: 'not-a-version',
      supported: expect.arrayContaining(['2026-07-28']),
    });
    expect((await peer.request('ping', 'ping')).result).toEqual({});
  });

  it('refuses a 2026-07-28 claim without the rest of its envelope with -32602, naming what is missing', async () => {
    const response = await peer.request('half', 'tools/list', { _meta: { [MODERN_VERSION_KEY]: '2026-07-28' } });
    expect(response.result).toBeUndefined();
    expect(errorOf(response).code).toBe(-32602);
    expect(errorOf(response).data).toMatchObject({ missing: ['io.modelcontextprotocol/clientCapabilities'] });
    expect((await peer.request('ping-2', 'ping')).result).toEqual({});
  });

  it('exits 0 on end of input', async () => {
    expect(await peer.close()).toEqual({ code: 0, signal: null });
    expectOnlyJsonRpcOnStdout(peer);
  });
});

const typesOf = (events: readonly RecordedEvent[]): string[] => events.map((event) => event.type);

/** Every stdout line is one JSON-RPC 2.0 response or notification, and nothing trails the last newline. */
function expectOnlyJsonRpcOnStdout(peer: RawStdioPeer): void {
  expect(peer.unterminatedStdout).toBe('');
  expect(peer.stdoutLines.length).toBeGreaterThan(0);
  for (const line of peer.stdoutLines) {
    let message: WireMessage;
    try {
      message = JSON.parse(line) as WireMessage;
    } catch {
      throw new Error(`stdout carried a line that is not JSON: ${line.slice(0, 200)}`);
    }
    expect(typeof message === 'object' && message !== null && !Array.isArray(message), line.slice(0, 200)).toBe(true);
    expect(message.jsonrpc, line.slice(0, 200)).toBe('2.0');
    const isResponse = 'id' in message && 'result' in message !== 'error' in message && !('method' in message);
    const isNotification = typeof message.method === 'string' && !('id' in message);
    expect(isResponse || isNotification, line.slice(0, 200)).toBe(true);
  }
}
