import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  type JSONRPCMessage,
  Client as Sdk2Client,
  StreamableHTTPClientTransport as Sdk2HttpTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as Sdk2StdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client as Sdk1Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport as Sdk1Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APEX_ERROR_CODES, MCP_RESERVED_CODE_RANGE, wireErrorCode } from '../../src/protocol/error-codes.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import {
  CLI_ENTRY,
  cliArgs,
  closeAndWaitForExit,
  connectSdkClient,
  REPO_ROOT,
  readAllEvents,
  writeConfig,
} from '../support/apex-process.js';
import {
  connectHttpClient,
  type HttpApex,
  type IssuedToken,
  issueToken,
  startHttpApex,
} from '../support/http-process.js';
import { messagesOf } from '../support/modern-http.js';
import { RawStdioPeer, type WireMessage } from '../support/raw-stdio-peer.js';
import { useTempDir } from '../support/sqlite-temp.js';

/**
 * MCP 2026-07-28 beside 2025-11-25: one APEX process serves a legacy client (SDK 1.x, an
 * `initialize` session) and a modern one (SDK 2.x pinned to 2026-07-28: `_meta` on every request,
 * no session) at the same time, over stdio and over HTTP, and its log shows each client's calls
 * with that client's protocol version and client info. Then the modern HTTP gate, case by case
 * (digest §7): what a malformed modern request is answered with, and under which HTTP status.
 */

const temp = useTempDir('e2e-dual-era');

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';

const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;

const CONFIG = {
  agents: {
    alice: { name: 'Alice', role: 'analyst', balance: '100', debtLimit: '0', permissions: ['demo'] },
    bob: { name: 'Bob', role: 'analyst', balance: '10', debtLimit: '0', permissions: ['demo'] },
  },
  tools: {
    echo: { price: { perCall: '0.25', perSecond: '0' }, category: 'demo', permissions: ['demo'] },
    sleep: { price: { perCall: '0.01', perSecond: '0' }, category: 'demo', permissions: ['demo'] },
  },
  toolsets: ['demo'],
};

const PINNED_MODERN = { versionNegotiation: { mode: { pin: MODERN } } } as const;

/** A server that never answers fails the step that waited (the SDK's timeout error), not the whole hook. */
const WITHIN = { timeout: 15_000 } as const;

// ---------------------------------------------------------------------------------------------
// Outcomes captured in beforeAll, so that each test fails with its own clear message.

type Outcome<T> = { readonly value: T } | { readonly error: unknown };

const settle = <T>(promise: Promise<T>): Promise<Outcome<T>> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return JSON.stringify(error);
  const { code, data } = error as { code?: unknown; data?: unknown };
  return `${error.name}: ${error.message}${code === undefined ? '' : ` (code ${String(code)})`}${
    data === undefined ? '' : ` data ${JSON.stringify(data)}`
  }`;
};

/** The value of a step, or a failure naming the step and why it failed. */
const succeeded = <T>(outcome: Outcome<T> | undefined, step: string): T => {
  if (outcome === undefined) throw new Error(`${step}: never ran (an earlier step failed)`);
  if ('error' in outcome) throw new Error(`${step} failed: ${describeError(outcome.error)}`);
  return outcome.value;
};

/**
 * The same work for both clients, interleaved (each client's calls go out while the other's are in
 * flight): tools/list, tools/call echo ("<label> sdk1" / "<label> sdk2"), resources/read of alice's
 * ledger. A client that did not connect (undefined) gets a failed outcome for each step.
 */
const interleavedCalls = async (
  legacy: Sdk1Client | undefined,
  modern: Sdk2Client | undefined,
  label: string,
): Promise<Record<string, Outcome<unknown>>> => {
  const skipped = (client: string): Promise<never> => Promise.reject(new Error(`the ${client} client did not connect`));
  const [legacyList, modernList, legacyEcho, modernEcho, legacyLedger, modernLedger] = await Promise.all([
    settle(legacy?.listTools(undefined, WITHIN) ?? skipped('SDK 1.x')),
    settle(modern?.listTools(undefined, WITHIN) ?? skipped('SDK 2.x')),
    settle(
      legacy?.callTool({ name: 'echo', arguments: { message: `${label} sdk1` } }, undefined, WITHIN) ??
        skipped('SDK 1.x'),
    ),
    settle(modern?.callTool({ name: 'echo', arguments: { message: `${label} sdk2` } }, WITHIN) ?? skipped('SDK 2.x')),
    settle(legacy?.readResource({ uri: 'payroll://ledger/alice' }, WITHIN) ?? skipped('SDK 1.x')),
    settle(modern?.readResource({ uri: 'payroll://ledger/alice' }, WITHIN) ?? skipped('SDK 2.x')),
  ]);
  return { legacyList, modernList, legacyEcho, modernEcho, legacyLedger, modernLedger };
};

const textOf = (result: unknown): string | undefined =>
  ((result as { content?: unknown }).content as { type: string; text?: string }[] | undefined)?.[0]?.text;

const toolNamesOf = (result: unknown): string[] =>
  ((result as { tools?: { name: string }[] }).tools ?? []).map((tool) => tool.name);

const ledgerAgentOf = (result: unknown): string | undefined => {
  const text = ((result as { contents?: { text?: string }[] }).contents ?? [])[0]?.text;
  return text === undefined ? undefined : (JSON.parse(text) as { agent?: string }).agent;
};

// ---------------------------------------------------------------------------------------------
// What the store says about requests.

interface Received {
  readonly requestId: unknown;
  readonly method: string;
  readonly protocolVersion?: string;
  readonly clientInfo?: { readonly name?: string; readonly version?: string };
}

const receivedOf = (events: readonly RecordedEvent[]): Received[] =>
  events.filter((event) => event.type === 'RequestReceived').map((event) => event.data as Received);

const byClient = (received: readonly Received[], clientName: string): Received[] =>
  received.filter((request) => request.clientInfo?.name === clientName);

/** `id method protocolVersion clientName`, one line per request: a failure shows the whole picture. */
const summaryOf = (received: readonly Received[]): string[] =>
  received.map(
    (request) =>
      `${String(request.requestId)} ${request.method} ${request.protocolVersion ?? '(no protocolVersion)'} ${
        request.clientInfo?.name ?? '(no clientInfo)'
      }`,
  );

const methodsOf = (received: readonly Received[]): string[] => [...new Set(received.map((request) => request.method))];

/** The message of a failed assertion about the store: every RequestReceived it holds. */
const storeShows = (received: readonly Received[]): string =>
  `RequestReceived events in the store (id method protocolVersion client):\n${summaryOf(received).join('\n')}\n`;

// ---------------------------------------------------------------------------------------------
// One stdio process, several SDK clients: each lane renames its request ids so answers find it.

/**
 * `apex serve` over stdio, shared by several clients. Each lane is an SDK transport; the ids of the
 * requests it sends are renamed `<lane>:<id>` on the pipe and renamed back on the way in, so two
 * clients that both count from 0 never collide. Notifications go to every lane. Anything that
 * cannot be routed (a server-to-client request, an answer to no lane) is kept in `unrouted`.
 */
class SharedStdioServer {
  readonly stderr: string[] = [];
  readonly unrouted: unknown[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lanes = new Set<StdioLane>();
  private readonly pending = new Map<string, { readonly lane: StdioLane; readonly id: string | number }>();
  private readonly exited: Promise<unknown>;
  private stdoutTail = '';

  constructor(options: { readonly config: string; readonly store: string; readonly agent: string }) {
    this.child = spawn(
      process.execPath,
      cliArgs('serve', '--config', options.config, '--store', `sqlite:${options.store}`, '--agent', options.agent),
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, APEX_LOG_LEVEL: 'warn' } },
    );
    this.exited = once(this.child, 'exit');
    this.child.stdin.on('error', () => undefined);
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => this.stderr.push(chunk));
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      const lines = (this.stdoutTail + chunk).split('\n');
      this.stdoutTail = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.onLine(line);
    });
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  lane(name: string): StdioLane {
    const lane = new StdioLane(name, this);
    this.lanes.add(lane);
    return lane;
  }

  detach(lane: StdioLane): void {
    this.lanes.delete(lane);
  }

  write(lane: StdioLane, message: Record<string, unknown>): void {
    let onWire = message;
    const { id, method, params } = message;
    if (typeof method === 'string' && (typeof id === 'string' || typeof id === 'number')) {
      const wireId = `${lane.name}:${String(id)}`;
      this.pending.set(wireId, { lane, id });
      onWire = { ...message, id: wireId };
    } else if (method === 'notifications/cancelled') {
      const requestId = (params as { requestId?: unknown } | undefined)?.requestId;
      onWire = { ...message, params: { ...(params as object), requestId: `${lane.name}:${String(requestId)}` } };
    }
    this.child.stdin.write(`${JSON.stringify(onWire)}\n`);
  }

  /** Ends stdin (the server's cue to shut down) and waits for the process to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end();
      await this.exited;
    }
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.unrouted.push(line); // not JSON: nothing but JSON-RPC may go to stdout
      return;
    }
    if (typeof message === 'object' && message !== null) this.route(message as Record<string, unknown>);
    else this.unrouted.push(message);
  }

  private route(message: Record<string, unknown>): void {
    const { id, method } = message;
    if (method === undefined && (typeof id === 'string' || typeof id === 'number')) {
      const owner = this.pending.get(String(id));
      if (owner === undefined) {
        this.unrouted.push(message);
        return;
      }
      this.pending.delete(String(id));
      owner.lane.deliver({ ...message, id: owner.id });
    } else if (typeof method === 'string' && id === undefined) {
      for (const lane of this.lanes) lane.deliver(message);
    } else {
      this.unrouted.push(message);
    }
  }
}

/**
 * A transport over a SharedStdioServer. It has `pid` and `stderr`, so the SDK 2.x client treats it as
 * stdio; not being the SDK's own StdioClientTransport, it probes `server/discover` in place, on this
 * very pipe, instead of on a throw-away sibling process.
 */
class StdioLane {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(
    readonly name: string,
    private readonly server: SharedStdioServer,
  ) {}

  get pid(): number | null {
    return this.server.pid;
  }

  get stderr(): null {
    return null;
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    this.server.write(this, message as unknown as Record<string, unknown>);
  }

  async close(): Promise<void> {
    this.server.detach(this);
    this.onclose?.();
  }

  deliver(message: Record<string, unknown>): void {
    this.onmessage?.(message as unknown as JSONRPCMessage);
  }
}

describe('over stdio: one apex serve process, an SDK 1.x and an SDK 2.x (pinned 2026-07-28) client on one pipe', () => {
  const store = temp.file();
  const LEGACY_NAME = 'dual-era-stdio-sdk1';
  const MODERN_NAME = 'dual-era-stdio-sdk2';
  let server: SharedStdioServer | undefined;
  let events: RecordedEvent[] = [];
  const seen: Record<string, Outcome<unknown>> = {};
  let modernVersion: string | undefined;

  beforeAll(async () => {
    server = new SharedStdioServer({
      config: writeConfig(temp.dir, CONFIG, 'stdio.config.json'),
      store,
      agent: 'alice',
    });
    const legacy = new Sdk1Client({ name: LEGACY_NAME, version: '1.0.0' }, { capabilities: {} });
    const modern = new Sdk2Client({ name: MODERN_NAME, version: '2.0.0' }, { capabilities: {}, ...PINNED_MODERN });
    // Connected at once: the modern client's server/discover and the legacy initialize share the pipe.
    const [legacyConnect, modernConnect] = await Promise.all([
      settle(legacy.connect(server.lane('sdk1') as unknown as Sdk1Transport, WITHIN)),
      settle(modern.connect(server.lane('sdk2'), WITHIN)),
    ]);
    seen.legacyConnect = legacyConnect;
    seen.modernConnect = modernConnect;
    modernVersion = modern.getNegotiatedProtocolVersion();
    Object.assign(
      seen,
      await interleavedCalls(
        'value' in legacyConnect ? legacy : undefined,
        'value' in modernConnect ? modern : undefined,
        'from',
      ),
    );
    await Promise.allSettled([legacy.close(), modern.close()]);
    await server.close();
    events = await readAllEvents(store);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('both clients connect to the one process: SDK 2.x negotiates 2026-07-28 in place, SDK 1.x initializes', () => {
    succeeded(seen.legacyConnect, 'SDK 1.x connect (initialize on the shared pipe)');
    succeeded(seen.modernConnect, 'SDK 2.x connect (server/discover on the shared pipe, pinned 2026-07-28)');
    expect(modernVersion).toBe(MODERN);
    // One process: one session, initialized by the legacy client at 2025-11-25.
    expect(events.filter((event) => event.type === 'SessionStarted')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'SessionInitialized').map((event) => event.data)).toMatchObject([
      { protocolVersion: LEGACY, clientInfo: { name: LEGACY_NAME } },
    ]);
  });

  it('their interleaved tools/list, tools/call echo and resources/read all succeed', () => {
    expect(toolNamesOf(succeeded(seen.legacyList, 'SDK 1.x tools/list'))).toContain('echo');
    expect(toolNamesOf(succeeded(seen.modernList, 'SDK 2.x tools/list'))).toContain('echo');
    expect(textOf(succeeded(seen.legacyEcho, 'SDK 1.x tools/call echo'))).toBe('from sdk1');
    expect(textOf(succeeded(seen.modernEcho, 'SDK 2.x tools/call echo'))).toBe('from sdk2');
    expect(ledgerAgentOf(succeeded(seen.legacyLedger, 'SDK 1.x resources/read payroll://ledger/alice'))).toBe('alice');
    expect(ledgerAgentOf(succeeded(seen.modernLedger, 'SDK 2.x resources/read payroll://ledger/alice'))).toBe('alice');
  });

  it("the store shows each client's requests with that client's protocol version and client info", () => {
    const received = receivedOf(events);
    const legacy = received.filter((request) => String(request.requestId).startsWith('sdk1:'));
    const modern = received.filter((request) => String(request.requestId).startsWith('sdk2:'));
    const summary = storeShows(received);
    // The legacy initialize is recorded before it is handled: it names no negotiated version yet.
    const afterInitialize = legacy.filter((request) => request.method !== 'initialize');
    expect(methodsOf(afterInitialize), summary).toEqual(
      expect.arrayContaining(['tools/list', 'tools/call', 'resources/read']),
    );
    expect(methodsOf(modern), summary).toEqual(
      expect.arrayContaining(['server/discover', 'tools/list', 'tools/call', 'resources/read']),
    );
    expect(summaryOf(afterInitialize)).toEqual(
      afterInitialize.map((request) => `${String(request.requestId)} ${request.method} ${LEGACY} ${LEGACY_NAME}`),
    );
    expect(summaryOf(modern)).toEqual(
      modern.map((request) => `${String(request.requestId)} ${request.method} ${MODERN} ${MODERN_NAME}`),
    );
  });

  it('everything the server wrote was an answer to one of the clients, or a notification', () => {
    expect(server?.unrouted).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Raw lines on one pipe: the era of each message is read from its body.

const modernMeta = (clientName = 'dual-era-raw', overrides: Record<string, unknown> = {}) => ({
  [META.protocolVersion]: MODERN,
  [META.clientCapabilities]: {},
  [META.clientInfo]: { name: clientName, version: '1.0.0' },
  ...overrides,
});

const resultOf = (message: WireMessage, what: string): Record<string, unknown> => {
  if (message.error !== undefined) throw new Error(`${what} was answered with error ${JSON.stringify(message.error)}`);
  return message.result as Record<string, unknown>;
};

const expectCacheable = (result: Record<string, unknown>): void => {
  expect(result.resultType).toBe('complete');
  expect(Number.isInteger(result.ttlMs) && (result.ttlMs as number) >= 0, `ttlMs ${String(result.ttlMs)}`).toBe(true);
  expect(['public', 'private']).toContain(result.cacheScope);
};

describe('over stdio, raw JSON-RPC lines: one pipe carries a legacy session and modern requests', () => {
  const store = temp.file();
  let peer: RawStdioPeer | undefined;
  let firstAnswer: Promise<WireMessage> | undefined;

  beforeAll(() => {
    peer = RawStdioPeer.start({ config: writeConfig(temp.dir, CONFIG, 'raw.config.json'), store, agent: 'alice' });
    // The very first line is a modern server/discover (what an in-place prober sends).
    firstAnswer = peer.request('discover-1', 'server/discover', { _meta: modernMeta() });
  });

  afterAll(async () => {
    await peer?.close();
    peer?.kill();
  });

  const live = (): RawStdioPeer => {
    if (peer === undefined) throw new Error('the server did not start');
    return peer;
  };

  it('answers server/discover as the very first message', async () => {
    const result = resultOf(await firstAnswer!, 'server/discover');
    expect(result.supportedVersions).toContain(MODERN);
    expectCacheable(result);
  });

  it('serves a modern tools/list before any initialize, with resultType, ttlMs and cacheScope', async () => {
    const result = resultOf(await live().request('m-list', 'tools/list', { _meta: modernMeta() }), 'modern tools/list');
    expectCacheable(result);
    expect(toolNamesOf(result)).toContain('echo');
  });

  it('then runs a legacy initialize handshake on the same pipe', async () => {
    const result = resultOf(
      await live().request('l-init', 'initialize', {
        protocolVersion: LEGACY,
        capabilities: {},
        clientInfo: { name: 'dual-era-raw-legacy', version: '1.0.0' },
      }),
      'legacy initialize after modern requests',
    );
    expect(result.protocolVersion).toBe(LEGACY);
    await live().send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  });

  it('answers legacy and modern tools/call echo side by side', async () => {
    const [legacy, modern] = await Promise.all([
      live().request('l-echo', 'tools/call', { name: 'echo', arguments: { message: 'legacy line' } }),
      live().request('m-echo', 'tools/call', {
        name: 'echo',
        arguments: { message: 'modern line' },
        _meta: modernMeta(),
      }),
    ]);
    expect(textOf(resultOf(legacy, 'legacy tools/call echo'))).toBe('legacy line');
    const modernResult = resultOf(modern, 'modern tools/call echo');
    expect(modernResult.resultType).toBe('complete');
    expect(textOf(modernResult)).toBe('modern line');
  });

  it.each(['ping', 'initialize'])('answers a modern %s (removed in 2026-07-28) with -32601', async (method) => {
    const params =
      method === 'initialize'
        ? { protocolVersion: MODERN, capabilities: {}, clientInfo: { name: 'x', version: '1' }, _meta: modernMeta() }
        : { _meta: modernMeta() };
    const answer = await live().request(`m-${method}`, method, params);
    expect(answer.error?.code, JSON.stringify(answer)).toBe(-32601);
  });

  it('answers a modern request at an unsupported version with -32022, data.supported and data.requested', async () => {
    const answer = await live().request('m-v999', 'tools/list', {
      _meta: modernMeta('dual-era-raw', { [META.protocolVersion]: 'v999.0.0' }),
    });
    expect(answer.error?.code, JSON.stringify(answer)).toBe(-32022);
    const data = answer.error?.data as { supported?: unknown; requested?: unknown } | undefined;
    expect(data?.requested).toBe('v999.0.0');
    expect(Array.isArray(data?.supported) && data.supported.length > 0, JSON.stringify(data)).toBe(true);
    expect(data?.supported).toContain(MODERN);
  });

  it('answers a modern request whose _meta lacks clientCapabilities with -32602', async () => {
    const meta = modernMeta();
    delete (meta as Record<string, unknown>)[META.clientCapabilities];
    const answer = await live().request('m-nocaps', 'tools/list', { _meta: meta });
    expect(answer.error?.code, JSON.stringify(answer)).toBe(-32602);
  });
});

describe('an APEX condition in the band MCP 2026-07-28 reserves (REQUEST_TIMED_OUT, seed code -32034)', () => {
  it('keeps its seed code for a legacy request and is moved out of -32020..-32099 for a modern one, on one pipe', async () => {
    const store = temp.file();
    const config = writeConfig(
      temp.dir,
      { ...CONFIG, limits: { requestTtlMs: 300, gcIntervalMs: 50 } },
      'short-ttl.config.json',
    );
    const peer = RawStdioPeer.start({ config, store, agent: 'alice' });
    try {
      await peer.initialize('init');
      const [legacy, modern] = await Promise.all([
        peer.request('l-sleep', 'tools/call', { name: 'sleep', arguments: { ms: 60_000 } }),
        peer.request('m-sleep', 'tools/call', { name: 'sleep', arguments: { ms: 60_000 }, _meta: modernMeta() }),
      ]);
      expect(legacy.error, JSON.stringify(legacy)).toMatchObject({
        code: APEX_ERROR_CODES.REQUEST_TIMED_OUT,
        data: { apex: 'REQUEST_TIMED_OUT', seedCode: APEX_ERROR_CODES.REQUEST_TIMED_OUT },
      });
      const code = modern.error?.code;
      expect(code, JSON.stringify(modern)).toBeDefined();
      expect(
        code !== undefined && code <= MCP_RESERVED_CODE_RANGE.highest && code >= MCP_RESERVED_CODE_RANGE.lowest,
        `modern code ${String(code)} is inside MCP's reserved band`,
      ).toBe(false);
      expect(modern.error).toMatchObject({
        code: wireErrorCode('REQUEST_TIMED_OUT', 'modern', 'tools/call'),
        data: { apex: 'REQUEST_TIMED_OUT', seedCode: APEX_ERROR_CODES.REQUEST_TIMED_OUT },
      });
    } finally {
      await peer.close();
      peer.kill();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Each SDK on its own stdio process, as a host would start it.

describe('over stdio, the SDK 2.x client pinned to 2026-07-28 with its own StdioClientTransport', () => {
  const store = temp.file();
  const CLIENT_NAME = 'dual-era-sdk2-own-stdio';
  const seen: Record<string, Outcome<unknown>> = {};
  let events: RecordedEvent[] = [];
  let version: string | undefined;

  beforeAll(async () => {
    // The transport probes server/discover on a throw-away sibling process, then starts the real one.
    const transport = new Sdk2StdioTransport({
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        CLI_ENTRY,
        'serve',
        '--config',
        writeConfig(temp.dir, CONFIG, 'sdk2.config.json'),
      ].concat(['--store', `sqlite:${store}`, '--agent', 'alice']),
      cwd: REPO_ROOT,
      stderr: 'pipe',
      env: { ...process.env, APEX_LOG_LEVEL: 'warn' } as Record<string, string>,
    });
    const client = new Sdk2Client({ name: CLIENT_NAME, version: '2.0.0' }, { capabilities: {}, ...PINNED_MODERN });
    seen.connect = await settle(client.connect(transport, WITHIN));
    version = client.getNegotiatedProtocolVersion();
    if ('value' in seen.connect) {
      seen.list = await settle(client.listTools(undefined, WITHIN));
      seen.echo = await settle(client.callTool({ name: 'echo', arguments: { message: 'sdk2 over stdio' } }, WITHIN));
      seen.ledger = await settle(client.readResource({ uri: 'payroll://ledger/alice' }, WITHIN));
    }
    const pid = transport.pid;
    await client.close().catch(() => undefined);
    while (pid !== null && isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    events = await readAllEvents(store);
  });

  it('connects at 2026-07-28 and lists tools, calls echo, reads payroll://ledger/alice', () => {
    succeeded(seen.connect, 'SDK 2.x connect over stdio (pinned 2026-07-28)');
    expect(version).toBe(MODERN);
    expect(toolNamesOf(succeeded(seen.list, 'tools/list'))).toContain('echo');
    expect(textOf(succeeded(seen.echo, 'tools/call echo'))).toBe('sdk2 over stdio');
    expect(ledgerAgentOf(succeeded(seen.ledger, 'resources/read payroll://ledger/alice'))).toBe('alice');
  });

  it('the store records its requests at 2026-07-28 with its client info, and no initialize', () => {
    const received = receivedOf(events);
    const ours = byClient(received, CLIENT_NAME);
    expect(methodsOf(ours), storeShows(received)).toEqual(
      expect.arrayContaining(['tools/list', 'tools/call', 'resources/read']),
    );
    expect(
      ours.every((request) => request.protocolVersion === MODERN),
      storeShows(received),
    ).toBe(true);
    expect(received.filter((request) => request.method === 'initialize')).toEqual([]);
  });
});

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('over stdio, the SDK 1.x client with its own StdioClientTransport, as before', () => {
  it('lists tools, calls echo, reads its ledger, and its requests are recorded at 2025-11-25 with its client info', async () => {
    const store = temp.file();
    const config = writeConfig(temp.dir, CONFIG, 'sdk1.config.json');
    const { client, transport } = await connectSdkClient({ config, store, agent: 'alice' });
    try {
      expect(toolNamesOf(await client.listTools())).toContain('echo');
      expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'sdk1 over stdio' } }))).toBe(
        'sdk1 over stdio',
      );
      expect(ledgerAgentOf(await client.readResource({ uri: 'payroll://ledger/alice' }))).toBe('alice');
    } finally {
      await closeAndWaitForExit(client, transport);
    }
    const received = receivedOf(await readAllEvents(store)).filter((request) => request.method !== 'initialize');
    expect(methodsOf(received)).toEqual(expect.arrayContaining(['tools/list', 'tools/call', 'resources/read']));
    expect(summaryOf(received)).toEqual(
      received.map((request) => `${String(request.requestId)} ${request.method} ${LEGACY} apex-e2e`),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP: one process, a legacy session and a sessionless modern client at once.

describe('over HTTP: one apex serve --http, an SDK 1.x session and an SDK 2.x sessionless client at once', () => {
  const store = temp.file();
  const LEGACY_NAME = 'dual-era-http-sdk1';
  const MODERN_NAME = 'dual-era-http-sdk2';
  let apex: HttpApex | undefined;
  let events: RecordedEvent[] = [];
  const seen: Record<string, Outcome<unknown>> = {};
  const sessions: { legacy?: string; modern?: string } = {};
  let modernVersion: string | undefined;

  beforeAll(async () => {
    const token: IssuedToken = await issueToken('alice', store);
    apex = await startHttpApex({
      config: writeConfig(temp.dir, { ...CONFIG, tokens: { alice: [token.hash] } }, 'http.config.json'),
      store,
    });
    const modern = new Sdk2Client({ name: MODERN_NAME, version: '2.0.0' }, { capabilities: {}, ...PINNED_MODERN });
    const modernTransport = new Sdk2HttpTransport(new URL(apex.url), {
      authProvider: { token: async () => token.token },
    });
    const [legacyConnect, modernConnect] = await Promise.all([
      settle(connectHttpClient(apex.url, token.token, LEGACY_NAME)),
      settle(modern.connect(modernTransport, WITHIN)),
    ]);
    seen.legacyConnect = legacyConnect;
    seen.modernConnect = modernConnect;
    modernVersion = modern.getNegotiatedProtocolVersion();
    sessions.modern = modernTransport.sessionId;
    const legacy = 'value' in legacyConnect ? legacyConnect.value : undefined;
    sessions.legacy = legacy?.transport.sessionId;
    Object.assign(seen, await interleavedCalls(legacy?.client, 'value' in modernConnect ? modern : undefined, 'http'));
    await Promise.allSettled([legacy?.client.close(), modern.close()]);
    await apex.stop();
    events = await readAllEvents(store);
  });

  afterAll(async () => {
    await apex?.stop();
  });

  it('both connect: SDK 1.x opens a session, SDK 2.x negotiates 2026-07-28 and has none', () => {
    succeeded(seen.legacyConnect, 'SDK 1.x connect over HTTP (initialize)');
    succeeded(seen.modernConnect, 'SDK 2.x connect over HTTP (server/discover, pinned 2026-07-28)');
    expect(sessions.legacy).toBeDefined();
    expect(modernVersion).toBe(MODERN);
    expect(sessions.modern).toBeUndefined();
  });

  it('their interleaved tools/list, tools/call echo and resources/read all succeed', () => {
    expect(toolNamesOf(succeeded(seen.legacyList, 'SDK 1.x tools/list'))).toContain('echo');
    expect(toolNamesOf(succeeded(seen.modernList, 'SDK 2.x tools/list'))).toContain('echo');
    expect(textOf(succeeded(seen.legacyEcho, 'SDK 1.x tools/call echo'))).toBe('http sdk1');
    expect(textOf(succeeded(seen.modernEcho, 'SDK 2.x tools/call echo'))).toBe('http sdk2');
    expect(ledgerAgentOf(succeeded(seen.legacyLedger, 'SDK 1.x resources/read payroll://ledger/alice'))).toBe('alice');
    expect(ledgerAgentOf(succeeded(seen.modernLedger, 'SDK 2.x resources/read payroll://ledger/alice'))).toBe('alice');
  });

  it("the store shows each client's requests with that client's protocol version and client info", () => {
    const received = receivedOf(events);
    const summary = storeShows(received);
    const legacy = byClient(received, LEGACY_NAME);
    const modern = byClient(received, MODERN_NAME);
    expect(methodsOf(legacy), summary).toEqual(expect.arrayContaining(['tools/list', 'tools/call', 'resources/read']));
    expect(methodsOf(modern), summary).toEqual(
      expect.arrayContaining(['server/discover', 'tools/list', 'tools/call', 'resources/read']),
    );
    expect(
      legacy.every((request) => request.protocolVersion === LEGACY),
      summary,
    ).toBe(true);
    expect(
      modern.every((request) => request.protocolVersion === MODERN),
      summary,
    ).toBe(true);
  });

  it('every recorded request but the legacy initialize names its protocol version and client', () => {
    const unattributed = receivedOf(events).filter(
      (request) =>
        request.method !== 'initialize' && (request.protocolVersion === undefined || request.clientInfo === undefined),
    );
    expect(summaryOf(unattributed)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The modern HTTP gate, raw: one case per row of the digest's §7 table.

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** The field `Mcp-Name` repeats, by method. */
const NAME_FIELD: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

interface Exchange {
  readonly status: number;
  readonly headers: Headers;
  /** The JSON-RPC messages of the body: one (JSON), or every `data:` event (SSE). */
  readonly messages: readonly WireMessage[];
}

const post = async (url: string, body: unknown, headers: Readonly<Record<string, string>>): Promise<Exchange> => {
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return {
    status: response.status,
    headers: response.headers,
    messages: messagesOf(response.headers.get('content-type'), await response.text()),
  };
};

/**
 * A modern request POST with every header right (MCP-Protocol-Version from `_meta`, Mcp-Method,
 * Mcp-Name), unless `headers` overrides one (`null` leaves it out).
 */
const postModern = (
  url: string,
  request: { readonly id: string | number; readonly method: string; readonly params: Record<string, unknown> },
  headers: Readonly<Record<string, string | null>> = {},
): Promise<Exchange> => {
  const claimed = (request.params._meta as Record<string, unknown> | undefined)?.[META.protocolVersion];
  const nameField = NAME_FIELD[request.method];
  const name = nameField === undefined ? undefined : request.params[nameField];
  const all: Record<string, string | null> = {
    ...JSON_HEADERS,
    'MCP-Protocol-Version': typeof claimed === 'string' ? claimed : MODERN,
    'Mcp-Method': request.method,
    ...(typeof name === 'string' ? { 'Mcp-Name': name } : {}),
    ...headers,
  };
  const sent = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== null));
  return post(url, { jsonrpc: '2.0', ...request }, sent);
};

const answerOf = (exchange: Exchange, id: string | number): WireMessage => {
  const answer = exchange.messages.find((message) => message.id === id && message.method === undefined);
  if (answer === undefined) {
    throw new Error(
      `no answer to id ${JSON.stringify(id)}: HTTP ${exchange.status}, ${JSON.stringify(exchange.messages)}`,
    );
  }
  return answer;
};

/** `HTTP <status> <code>`: status and JSON-RPC code in one string, so a failure shows both. */
const statusAndCode = (exchange: Exchange, id: string | number): string => {
  const answer = exchange.messages.find((message) => message.id === id);
  return `HTTP ${exchange.status} ${answer?.error?.code ?? (answer === undefined ? 'no answer' : 'result')}`;
};

/** The body as received, for a failure message. */
const bodyOf = (exchange: Exchange): string => `HTTP ${exchange.status}: ${JSON.stringify(exchange.messages)}`;

const inReservedBand = (code: number): boolean =>
  code <= MCP_RESERVED_CODE_RANGE.highest && code >= MCP_RESERVED_CODE_RANGE.lowest;

describe('the modern HTTP gate, raw requests against apex serve --http', () => {
  let apex: HttpApex | undefined;
  const url = (): string => {
    if (apex === undefined) throw new Error('the server did not start');
    return apex.url;
  };

  beforeAll(async () => {
    apex = await startHttpApex({
      config: writeConfig(temp.dir, CONFIG, 'gate.config.json'),
      store: temp.file(),
      extraArgs: ['--agent', 'alice'],
    });
  });

  afterAll(async () => {
    await apex?.stop();
  });

  it.each([
    ['no _meta at all', {}],
    ['_meta without protocolVersion', { _meta: { [META.clientCapabilities]: {} } }],
    ['_meta without clientCapabilities', { _meta: { [META.protocolVersion]: MODERN } }],
  ])('a request with %s (MCP-Protocol-Version 2026-07-28) is 400 / -32602', async (_case, params) => {
    const exchange = await postModern(
      url(),
      { id: 'no-meta', method: 'tools/list', params },
      {
        'MCP-Protocol-Version': MODERN,
      },
    );
    expect(statusAndCode(exchange, 'no-meta'), bodyOf(exchange)).toBe('HTTP 400 -32602');
  });

  it('MCP-Protocol-Version disagreeing with _meta is 400 / -32020 (a mismatch beats an unsupported version)', async () => {
    const exchange = await postModern(
      url(),
      {
        id: 'mismatch',
        method: 'tools/list',
        params: { _meta: modernMeta('gate', { [META.protocolVersion]: 'v999.0.0' }) },
      },
      { 'MCP-Protocol-Version': MODERN },
    );
    expect(statusAndCode(exchange, 'mismatch'), bodyOf(exchange)).toBe('HTTP 400 -32020');
  });

  it('an unsupported version is 400 / -32022 with data.supported (those discover lists) and data.requested', async () => {
    const exchange = await postModern(url(), {
      id: 'v999',
      method: 'tools/list',
      params: { _meta: modernMeta('gate', { [META.protocolVersion]: 'v999.0.0' }) },
    });
    expect(statusAndCode(exchange, 'v999'), bodyOf(exchange)).toBe('HTTP 400 -32022');
    const data = answerOf(exchange, 'v999').error?.data as { supported?: string[]; requested?: unknown };
    expect(data.requested).toBe('v999.0.0');
    expect(data.supported?.length ?? 0, JSON.stringify(data)).toBeGreaterThan(0);
    const discovered = answerOf(
      await postModern(url(), { id: 'discover', method: 'server/discover', params: { _meta: modernMeta('gate') } }),
      'discover',
    ).result as { supportedVersions?: string[] } | undefined;
    for (const version of data.supported ?? []) expect(discovered?.supportedVersions).toContain(version);
  });

  it('Mcp-Method disagreeing with the body is 400 / -32020', async () => {
    const exchange = await postModern(
      url(),
      { id: 'method', method: 'tools/list', params: { _meta: modernMeta('gate') } },
      { 'Mcp-Method': 'prompts/list' },
    );
    expect(statusAndCode(exchange, 'method'), bodyOf(exchange)).toBe('HTTP 400 -32020');
  });

  it('initialize with a modern _meta is 404 / -32601', async () => {
    const exchange = await postModern(url(), {
      id: 'init',
      method: 'initialize',
      params: {
        protocolVersion: MODERN,
        capabilities: {},
        clientInfo: { name: 'gate', version: '1' },
        _meta: modernMeta('gate'),
      },
    });
    expect(statusAndCode(exchange, 'init'), bodyOf(exchange)).toBe('HTTP 404 -32601');
  });

  it('ping with a modern _meta is 404 / -32601', async () => {
    const exchange = await postModern(url(), { id: 'ping', method: 'ping', params: { _meta: modernMeta('gate') } });
    expect(statusAndCode(exchange, 'ping'), bodyOf(exchange)).toBe('HTTP 404 -32601');
  });

  it('server/discover is 200: complete, 2026-07-28 supported, capabilities, ttlMs, cacheScope, serverInfo in _meta, no session', async () => {
    const exchange = await postModern(url(), {
      id: 'd',
      method: 'server/discover',
      params: { _meta: modernMeta('gate') },
    });
    expect(statusAndCode(exchange, 'd'), bodyOf(exchange)).toBe('HTTP 200 result');
    const result = answerOf(exchange, 'd').result as Record<string, unknown>;
    expectCacheable(result);
    expect(result.supportedVersions).toContain(MODERN);
    expect(typeof result.capabilities === 'object' && result.capabilities !== null).toBe(true);
    const serverInfo = (result._meta as Record<string, unknown> | undefined)?.[META.serverInfo];
    expect(serverInfo, JSON.stringify(result)).toMatchObject({ name: expect.any(String), version: expect.any(String) });
    expect(exchange.headers.get('mcp-session-id')).toBeNull();
  });

  it('a modern tools/list result carries resultType, ttlMs, cacheScope and serverInfo', async () => {
    const exchange = await postModern(url(), { id: 'tl', method: 'tools/list', params: { _meta: modernMeta('gate') } });
    expect(statusAndCode(exchange, 'tl'), bodyOf(exchange)).toBe('HTTP 200 result');
    const result = answerOf(exchange, 'tl').result as Record<string, unknown>;
    expectCacheable(result);
    expect(toolNamesOf(result)).toContain('echo');
    expect((result._meta as Record<string, unknown> | undefined)?.[META.serverInfo]).toBeDefined();
  });

  it('a modern resources/read of an unknown resource is -32602 with data.uri', async () => {
    const uri = 'payroll://nowhere/at-all';
    const exchange = await postModern(url(), {
      id: 'rr',
      method: 'resources/read',
      params: { uri, _meta: modernMeta('gate') },
    });
    const answer = answerOf(exchange, 'rr');
    expect(answer.error?.code, JSON.stringify(answer)).toBe(-32602);
    expect(answer.error?.data).toMatchObject({ uri });
  });

  it("an APEX condition (PERMISSION_DENIED reading another agent's ledger) stays out of -32020..-32099 for a modern request, and names itself in data", async () => {
    const exchange = await postModern(url(), {
      id: 'denied',
      method: 'resources/read',
      params: { uri: 'payroll://ledger/bob', _meta: modernMeta('gate') },
    });
    const error = answerOf(exchange, 'denied').error;
    expect(error, JSON.stringify(exchange.messages)).toBeDefined();
    expect(inReservedBand(error?.code ?? 0), `code ${String(error?.code)}`).toBe(false);
    expect(error).toMatchObject({
      code: wireErrorCode('PERMISSION_DENIED', 'modern', 'resources/read'),
      data: { apex: 'PERMISSION_DENIED', seedCode: APEX_ERROR_CODES.PERMISSION_DENIED },
    });
  });

  const legacyHeaders = (session: string) => ({
    ...JSON_HEADERS,
    'Mcp-Session-Id': session,
    'MCP-Protocol-Version': LEGACY,
  });

  /** A 2025-11-25 session opened with raw requests; resolves with its Mcp-Session-Id. */
  const openLegacySession = async (): Promise<string> => {
    const initialized = await post(
      url(),
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'gate-legacy', version: '1' } },
      },
      JSON_HEADERS,
    );
    expect(statusAndCode(initialized, 1), bodyOf(initialized)).toBe('HTTP 200 result');
    const session = initialized.headers.get('mcp-session-id');
    if (session === null) throw new Error('initialize opened no session (no Mcp-Session-Id header)');
    await post(url(), { jsonrpc: '2.0', method: 'notifications/initialized' }, legacyHeaders(session));
    return session;
  };

  it("a legacy session's request keeps the seed's code (PERMISSION_DENIED is -32011)", async () => {
    const session = await openLegacySession();
    const exchange = await post(
      url(),
      { jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri: 'payroll://ledger/bob' } },
      legacyHeaders(session),
    );
    expect(answerOf(exchange, 2).error).toMatchObject({
      code: APEX_ERROR_CODES.PERMISSION_DENIED,
      data: { apex: 'PERMISSION_DENIED', seedCode: APEX_ERROR_CODES.PERMISSION_DENIED },
    });
  });

  it.each([
    ['a live legacy session', openLegacySession],
    ['a session this server never opened', async () => 'no-such-session'],
  ])(
    'a modern request carrying the Mcp-Session-Id of %s is served as modern: the header is ignored, never echoed',
    async (_case, sessionId) => {
      const exchange = await postModern(
        url(),
        { id: 'with-session', method: 'tools/list', params: { _meta: modernMeta('gate') } },
        { 'Mcp-Session-Id': await sessionId() },
      );
      expect(statusAndCode(exchange, 'with-session'), bodyOf(exchange)).toBe('HTTP 200 result');
      expect((answerOf(exchange, 'with-session').result as Record<string, unknown>).resultType).toBe('complete');
      expect(exchange.headers.get('mcp-session-id')).toBeNull();
    },
  );
});
