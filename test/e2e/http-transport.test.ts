import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { verifyChain } from '../../src/store/verify.js';
import { readAllEvents, writeConfig } from '../support/apex-process.js';
import {
  connectHttpClient,
  type HttpApex,
  type IssuedToken,
  issueToken,
  startHttpApex,
} from '../support/http-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-http');

const configWith = (tokens: Readonly<Record<string, IssuedToken>>) => ({
  agents: {
    alice: { name: 'Alice', balance: '100', permissions: ['demo'] },
    bob: { name: 'Bob', balance: '10', permissions: ['demo'] },
    carol: { name: 'Carol', role: 'auditor', balance: '1', permissions: ['auditor'] },
    // A bucket of four requests that refills once in about seventeen minutes: the fifth is refused.
    dave: { name: 'Dave', balance: '5', permissions: ['demo'], rateLimit: { requestsPerSecond: 0.001, burst: 4 } },
  },
  tools: {
    echo: { price: { perCall: '0.25', perSecond: '0' }, category: 'demo', permissions: ['demo'] },
    sleep: { price: { perCall: '0.01', perSecond: '0' }, category: 'demo', permissions: ['demo'] },
  },
  toolsets: ['demo'],
  tokens: Object.fromEntries(Object.entries(tokens).map(([agent, issued]) => [agent, [issued.hash]])),
  http: { allowedOrigins: ['https://app.example.com'] },
});

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fetch', version: '1' } },
};

const MCP_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

const textOf = (result: unknown): string | undefined =>
  ((result as { content?: unknown }).content as { type: string; text?: string }[] | undefined)?.[0]?.text;

const ledgerOf = async (client: Awaited<ReturnType<typeof connectHttpClient>>['client'], agent: string) => {
  const read = await client.readResource({ uri: `payroll://ledger/${agent}` });
  return JSON.parse((read.contents[0] as { text: string }).text) as { agent: string; balance: string };
};

const refusalOf = async (promise: Promise<unknown>): Promise<McpError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof McpError) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
};

const typesOf = (events: readonly RecordedEvent[]) => events.map((event) => event.type);

describe('apex serve --http, driven by the official SDK 1.x Streamable HTTP client', () => {
  const store = temp.file();
  const tokens: Record<string, IssuedToken> = {};
  let apex: HttpApex;
  let events: RecordedEvent[] = [];
  let exitCode: number | null = null;
  const seen = {
    aliceEcho: undefined as string | undefined,
    aliceOwnLedger: undefined as { agent: string; balance: string } | undefined,
    bobOwnLedger: undefined as { agent: string; balance: string } | undefined,
    aliceReadsBob: undefined as McpError | undefined,
    bobReadsAlice: undefined as McpError | undefined,
    progress: [] as number[],
    aliceSessionId: undefined as string | undefined,
    bobSessionId: undefined as string | undefined,
    crossSessionStatus: 0,
    missingToken: undefined as Response | undefined,
    wrongToken: undefined as Response | undefined,
    foreignOrigin: 0,
    allowedOrigin: undefined as Response | undefined,
    oversized: undefined as { status: number; body: { error?: { data?: { limitBytes?: number } } } } | undefined,
    health: undefined as { status: number; body: { status?: string; store?: { reachable?: boolean } } } | undefined,
    metrics: undefined as { status: number; type: string | null; text: string } | undefined,
    metricsForAlice: 0,
    daveRefusal: undefined as McpError | undefined,
    daveInitialize: undefined as Response | undefined,
    drainedSleep: undefined as string | undefined,
    cancelled: undefined as unknown,
    pingAfterCancel: undefined as unknown,
    aliceClientErrors: [] as unknown[],
    aliceErrorsWhileServing: [] as unknown[],
  };

  beforeAll(async () => {
    for (const agent of ['alice', 'bob', 'carol', 'dave']) tokens[agent] = await issueToken(agent, store);
    apex = await startHttpApex({ config: writeConfig(temp.dir, configWith(tokens)), store });
    const { url, base } = apex;

    // Two agents, two tokens, two sessions: each reads its own ledger, and is refused the other's.
    const alice = await connectHttpClient(url, tokens.alice!.token);
    alice.client.onerror = (error) => seen.aliceClientErrors.push(error);
    const bob = await connectHttpClient(url, tokens.bob!.token);
    seen.aliceSessionId = alice.transport.sessionId;
    seen.bobSessionId = bob.transport.sessionId;
    seen.aliceEcho = textOf(await alice.client.callTool({ name: 'echo', arguments: { message: 'hello over http' } }));
    seen.aliceOwnLedger = await ledgerOf(alice.client, 'alice');
    seen.bobOwnLedger = await ledgerOf(bob.client, 'bob');
    seen.aliceReadsBob = await refusalOf(ledgerOf(alice.client, 'bob'));
    seen.bobReadsAlice = await refusalOf(ledgerOf(bob.client, 'alice'));
    await alice.client.callTool({ name: 'sleep', arguments: { ms: 250 } }, undefined, {
      onprogress: (progress) => seen.progress.push(progress.progress),
    });
    // A call the client cancels after its first progress report; the session serves on.
    const cancel = new AbortController();
    await alice.client
      .callTool({ name: 'sleep', arguments: { ms: 30_000 } }, undefined, {
        signal: cancel.signal,
        onprogress: () => cancel.abort('enough'),
      })
      .catch((error: unknown) => {
        seen.cancelled = error;
      });
    seen.pingAfterCancel = await alice.client.ping();
    seen.aliceErrorsWhileServing = [...seen.aliceClientErrors];

    // Bob's token with Alice's session id: answered as if the session did not exist.
    seen.crossSessionStatus = (
      await fetch(url, {
        method: 'POST',
        headers: {
          ...MCP_HEADERS,
          Authorization: `Bearer ${tokens.bob!.token}`,
          'Mcp-Session-Id': seen.aliceSessionId ?? '',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
      })
    ).status;

    seen.missingToken = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    seen.wrongToken = await fetch(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: 'Bearer apex_not-a-real-token' },
      body: JSON.stringify(INITIALIZE),
    });
    seen.foreignOrigin = (
      await fetch(url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, Authorization: `Bearer ${tokens.alice!.token}`, Origin: 'https://evil.example' },
        body: JSON.stringify(INITIALIZE),
      })
    ).status;
    seen.allowedOrigin = await fetch(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${tokens.alice!.token}`, Origin: 'https://app.example.com' },
      body: JSON.stringify(INITIALIZE),
    });
    await seen.allowedOrigin.text();

    const oversized = await fetch(url, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        Authorization: `Bearer ${tokens.alice!.token}`,
        'Mcp-Session-Id': seen.aliceSessionId ?? '',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'ping', params: { padding: 'x'.repeat(600 * 1024) } }),
    });
    seen.oversized = { status: oversized.status, body: (await oversized.json()) as never };

    const health = await fetch(`${base}/healthz`);
    seen.health = { status: health.status, body: (await health.json()) as never };
    const metrics = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${tokens.carol!.token}` } });
    seen.metrics = { status: metrics.status, type: metrics.headers.get('content-type'), text: await metrics.text() };
    const forbidden = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${tokens.alice!.token}` } });
    seen.metricsForAlice = forbidden.status;
    await forbidden.text();

    // Dave's bucket holds four requests; connecting spends some, the rest go on tools/list until one is refused.
    const dave = await connectHttpClient(url, tokens.dave!.token);
    for (let attempt = 0; attempt < 10 && seen.daveRefusal === undefined; attempt++) {
      await dave.client.listTools().catch((error: unknown) => {
        if (error instanceof McpError) seen.daveRefusal = error;
        else throw error;
      });
    }
    seen.daveInitialize = await fetch(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${tokens.dave!.token}` },
      body: JSON.stringify(INITIALIZE),
    });
    await seen.daveInitialize.text();
    await dave.client.close();

    // Alice ends her session (DELETE); then SIGTERM arrives while Bob's sleep is running: it finishes.
    await alice.transport.terminateSession();
    await alice.client.close();
    let signalled = false;
    const drained = await bob.client.callTool({ name: 'sleep', arguments: { ms: 1500 } }, undefined, {
      onprogress: () => {
        if (signalled) return;
        signalled = true;
        apex.child.kill('SIGTERM');
      },
    });
    seen.drainedSleep = textOf(drained);
    exitCode = await apex.stop();
    await bob.client.close();
    events = await readAllEvents(store);
  });

  afterAll(async () => {
    await apex?.stop();
  });

  it('serves each agent in its own session, answering over JSON and over SSE with progress', () => {
    expect(seen.aliceSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.bobSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.aliceSessionId).not.toBe(seen.bobSessionId);
    expect(seen.aliceEcho).toBe('hello over http');
    expect(seen.progress.length).toBeGreaterThanOrEqual(2);
  });

  it('stops a call the client cancels, records RequestCancelled, and serves on without transport errors', () => {
    expect(seen.cancelled).toBeDefined();
    expect(seen.pingAfterCancel).toEqual({});
    expect(seen.aliceErrorsWhileServing).toEqual([]);
    const cancelled = events.filter((event) => event.type === 'RequestCancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]?.stream).toBe(`session-${seen.aliceSessionId}`);
  });

  it('lets each agent read only its own ledger: the other one is PERMISSION_DENIED', () => {
    expect(seen.aliceOwnLedger?.agent).toBe('alice');
    expect(seen.bobOwnLedger).toMatchObject({ agent: 'bob', balance: '10.000000' });
    for (const refusal of [seen.aliceReadsBob, seen.bobReadsAlice]) {
      expect(refusal?.code).toBe(-32011);
      expect((refusal?.data as { apex?: string } | undefined)?.apex).toBe('PERMISSION_DENIED');
    }
  });

  it('refuses a missing or wrong token with 401 and WWW-Authenticate: Bearer', () => {
    for (const response of [seen.missingToken, seen.wrongToken]) {
      expect(response?.status).toBe(401);
      expect(response?.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    expect(seen.wrongToken?.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it("answers another agent's session id with 404, as if it did not exist", () => {
    expect(seen.crossSessionStatus).toBe(404);
  });

  it('refuses a foreign Origin with 403 and lets a configured one in', () => {
    expect(seen.foreignOrigin).toBe(403);
    expect(seen.allowedOrigin?.status).toBe(200);
    expect(seen.allowedOrigin?.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(seen.allowedOrigin?.headers.get('mcp-session-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a body over 512 KiB with 413', () => {
    expect(seen.oversized?.status).toBe(413);
    expect(seen.oversized?.body.error?.data?.limitBytes).toBe(512 * 1024);
  });

  it('answers /healthz with the store reachable, and /metrics in Prometheus text for an auditor only', () => {
    expect(seen.health).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ok', store: expect.objectContaining({ reachable: true }) }),
    });
    expect(seen.metrics?.status).toBe(200);
    expect(seen.metrics?.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = seen.metrics?.text.split('\n') ?? [];
    expect(lines).toContain('# TYPE apex_requests_total counter');
    expect(lines).toContain('apex_requests_total{method="tools/call",outcome="success"} 2');
    expect(lines).toContain('apex_agent_balance_apx{agent="bob"} 10');
    expect(lines.some((line) => line.startsWith('apex_request_duration_seconds_bucket{le="+Inf"}'))).toBe(true);
    expect(lines).toContain('apex_http_access_refused_total{reason="unknown_token"} 1');
    expect(seen.metricsForAlice).toBe(403);
  });

  it('refuses a request over the rate limit: a JSON-RPC error inside the session, 429 outside it', () => {
    expect(seen.daveRefusal?.code).toBe(-32033);
    expect((seen.daveRefusal?.data as { apex?: string; limit?: string } | undefined)?.apex).toBe('AGENT_OVERLOADED');
    expect(seen.daveInitialize?.status).toBe(429);
    expect(Number(seen.daveInitialize?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('on SIGTERM finishes the call in flight, ends every session and exits 0', () => {
    expect(seen.drainedSleep).toBe('slept 1500 ms');
    expect(exitCode).toBe(0);
    const bobSession = events.filter((event) => event.stream === `session-${seen.bobSessionId}`);
    // The sleep's answer went on its SSE stream: recorded (MessageStreamed) before it was written.
    expect(typesOf(bobSession).slice(-3)).toEqual(['RequestCompleted', 'MessageStreamed', 'SessionEnded']);
    expect(bobSession.at(-1)?.data).toEqual({ reason: 'signal SIGTERM' });
    const aliceEnd = events.find(
      (event) => event.stream === `session-${seen.aliceSessionId}` && event.type === 'SessionEnded',
    );
    expect((aliceEnd?.data as { reason: string } | undefined)?.reason).toBe(
      'the client ended the session (HTTP DELETE)',
    );
  });

  it('records each HTTP session as a session stream of its agent, with the usual events per call', () => {
    const started = events.filter((event) => event.type === 'SessionStarted');
    expect(started.map((event) => event.data)).toEqual(
      expect.arrayContaining(
        ['alice', 'bob', 'dave'].map((agent) =>
          expect.objectContaining({
            transport: 'http',
            agent,
            instance: expect.objectContaining({ pid: apex.child.pid }),
          }),
        ),
      ),
    );
    const echo = events.find(
      (event) => event.type === 'ToolCallRequested' && (event.data as { tool: string }).tool === 'echo',
    );
    const ofCall = events.filter((event) => event.metadata.correlationId === echo?.metadata.correlationId);
    expect(typesOf(ofCall.filter((event) => event.stream.startsWith('session-')))).toEqual([
      'RequestReceived',
      'ToolCallRequested',
      'ToolCallSucceeded',
      'RequestCompleted',
      // The answer went on the call's SSE stream (the client accepts one): recorded before it was written.
      'MessageStreamed',
    ]);
    expect(typesOf(ofCall.filter((event) => event.stream === 'agent-alice'))).toEqual([
      'FundsReserved',
      'ToolCallCharged',
    ]);
  });

  it('records every refusal, and the rate limit, as events', () => {
    const refusals = events.filter((event) => event.type === 'AccessRefused');
    const reasons = refusals.map((event) => (event.data as { reason: string }).reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'missing_token',
        'unknown_token',
        'origin_not_allowed',
        'session_of_another_agent',
        'permission_denied',
      ]),
    );
    const crossSession = refusals.find(
      (event) => (event.data as { reason: string }).reason === 'session_of_another_agent',
    );
    expect(crossSession?.stream).toBe('access-bob');
    expect(refusals.find((event) => (event.data as { reason: string }).reason === 'unknown_token')?.stream).toBe(
      'access',
    );
    const limited = events.filter((event) => event.type === 'RequestRateLimited');
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(limited.every((event) => event.stream === 'access-dave')).toBe(true);
    expect(limited[0]?.data).toMatchObject({ agent: 'dave', limit: 'requests_per_second' });
    expect(typesOf(events.filter((event) => event.stream === 'access-alice'))).toContain('TokenIssued');
  });

  it('never writes a token to the log, only a prefix of its hash', () => {
    const dir = dirname(store);
    const files = readdirSync(dir).filter((name) => name.startsWith(basename(store)));
    const bytes = files.map((name) => readFileSync(join(dir, name)).toString('latin1')).join('');
    for (const issued of Object.values(tokens)) {
      expect(bytes).not.toContain(issued.token);
      expect(bytes).toContain(issued.tokenHashPrefix);
    }
    expect(bytes).not.toContain('apex_not-a-real-token');
  });

  it('leaves hash chains that verify', async () => {
    const reader = openSqliteStore({ path: store });
    try {
      expect((await verifyChain(reader)).ok).toBe(true);
    } finally {
      await reader.close();
    }
  });
});
