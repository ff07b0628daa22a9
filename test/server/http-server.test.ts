import * as E from 'fp-ts/lib/Either.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/server/config.js';
import { startHttpServer } from '../../src/server/http/http-server.js';
import { createServerContext } from '../../src/server/server-context.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { type Message, type SseEvent, sseEvents } from '../support/sse-events.js';

/** `apex serve --http` in this process, on an in-memory store, with requests without a token acting as alice. */
const startServer = async (config: Record<string, unknown>) => {
  const parsed = parseConfig({
    agents: { alice: { name: 'Alice', balance: '100', permissions: ['demo'] } },
    ...config,
  });
  if (E.isLeft(parsed)) throw parsed.left;
  const store = openSqliteStore({ path: ':memory:' });
  const context = await createServerContext({ store, config: parsed.right, logger: pino({ level: 'silent' }) });
  const server = await startHttpServer({ context, address: { host: '127.0.0.1', port: 0 }, defaultAgent: 'alice' });
  let stopped = false;
  return {
    url: server.url,
    base: new URL(server.url).origin,
    events: async () => {
      const events: RecordedEvent[] = [];
      for await (const event of store.readAll()) events.push(event);
      return events;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop('test over');
      await context.close();
      await store.close();
    },
  };
};

const MCP_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const initialize = async (url: string, protocolVersion = '2025-11-25'): Promise<string> => {
  const response = await post(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'test', version: '1' } },
  });
  await response.json();
  const session = response.headers.get('mcp-session-id');
  if (session === null) throw new Error('initialize gave no session id');
  await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'Mcp-Session-Id': session });
  return session;
};

/** The messages of an SSE response, skipping events without data. */
const sseReader = (response: Response) => {
  const events = sseEvents(response);
  return {
    next: async (): Promise<Message | undefined> => {
      for (;;) {
        const event = await events.next();
        if (event === undefined || event.message !== undefined) return event?.message;
      }
    },
    cancel: () => events.cancel(),
  };
};

const nextMatching = async (stream: ReturnType<typeof sseReader>, match: (message: Message) => boolean) => {
  for (;;) {
    const message = await stream.next();
    if (message === undefined || match(message)) return message;
  }
};

describe('the /mcp endpoint', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let session: string;

  beforeAll(async () => {
    server = await startServer({ toolsets: ['demo'] });
    session = await initialize(server.url);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers methods other than POST, GET and DELETE with 405, and other paths with 404', async () => {
    const put = await fetch(server.url, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, DELETE');
    expect((await fetch(`${server.base}/elsewhere`)).status).toBe(404);
  });

  it('refuses what it cannot read: wrong Accept (406), wrong Content-Type (415), bad JSON, bad UTF-8, batches (400)', async () => {
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const sessionHeader = { 'Mcp-Session-Id': session };
    expect((await post(server.url, ping, { ...sessionHeader, Accept: 'text/html' })).status).toBe(406);
    expect((await post(server.url, ping, { ...sessionHeader, 'Content-Type': 'text/plain' })).status).toBe(415);
    const badJson = await post(server.url, '{"jsonrpc":', sessionHeader);
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const badUtf8 = await fetch(server.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...sessionHeader },
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect(badUtf8.status).toBe(400);
    expect(((await badUtf8.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const batch = await post(server.url, [ping], sessionHeader);
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as { error: { code: number } }).error.code).toBe(-32600);
  });

  it('refuses a body over the limit with 413, whether its length is declared or it is streamed', async () => {
    const declared = await post(server.url, 'x'.repeat(600 * 1024), { 'Mcp-Session-Id': session });
    expect(declared.status).toBe(413);
    await declared.text();
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const streamed = await fetch(server.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'Mcp-Session-Id': session },
      body: new ReadableStream<Uint8Array>({
        pull: (controller) => {
          if (sent++ < 10) controller.enqueue(chunk);
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { data: { limitBytes: number } } }).error.data.limitBytes).toBe(
      512 * 1024,
    );
  });

  it('needs a session for everything but initialize (400), and knows only its own sessions (404)', async () => {
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    expect((await post(server.url, ping)).status).toBe(400);
    expect((await post(server.url, ping, { 'Mcp-Session-Id': 'no-such-session' })).status).toBe(404);
    expect((await fetch(server.url, { headers: { Accept: 'text/event-stream' } })).status).toBe(400);
    expect((await fetch(server.url, { method: 'DELETE', headers: { 'Mcp-Session-Id': 'nope' } })).status).toBe(404);
  });

  it('checks MCP-Protocol-Version when it is sent (400 for one it does not speak)', async () => {
    const ping = { jsonrpc: '2.0', id: 3, method: 'ping' };
    const sessionHeader = { 'Mcp-Session-Id': session };
    expect((await post(server.url, ping, { ...sessionHeader, 'MCP-Protocol-Version': '2025-06-18' })).status).toBe(200);
    expect((await post(server.url, ping, { ...sessionHeader, 'MCP-Protocol-Version': '2099-01-01' })).status).toBe(400);
  });

  it('answers a notification with 202 and an empty body', async () => {
    const response = await post(
      server.url,
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      { 'Mcp-Session-Id': session },
    );
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
  });

  it('allows one GET stream per session (409 for a second), and sends resource updates on it', async () => {
    const sessionHeader = { 'Mcp-Session-Id': session };
    const subscribed = await post(
      server.url,
      { jsonrpc: '2.0', id: 4, method: 'resources/subscribe', params: { uri: 'payroll://ledger/alice' } },
      sessionHeader,
    );
    expect(((await subscribed.json()) as Message).result).toEqual({});
    const get = await fetch(server.url, { headers: { Accept: 'text/event-stream', ...sessionHeader } });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/event-stream');
    expect((await fetch(server.url, { headers: { Accept: 'text/event-stream', ...sessionHeader } })).status).toBe(409);
    const stream = sseReader(get);

    const call = await post(
      server.url,
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } },
      sessionHeader,
    );
    expect(call.headers.get('content-type')).toBe('text/event-stream');
    const answer = await nextMatching(sseReader(call), (message) => message.id === 5);
    expect(answer?.result).toMatchObject({ content: [{ type: 'text', text: 'x' }] });

    const update = await nextMatching(stream, (message) => message.method === 'notifications/resources/updated');
    expect(update?.params).toEqual({ uri: 'payroll://ledger/alice' });
    await stream.cancel();
  });

  it('refuses a request id already in flight, while the original goes on', async () => {
    const sessionHeader = { 'Mcp-Session-Id': session };
    const sleep = { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 300 } } };
    const first = await post(server.url, sleep, sessionHeader);
    const firstStream = sseReader(first);
    await nextMatching(firstStream, (message) => message.method === 'notifications/message');
    const again = await post(server.url, { jsonrpc: '2.0', id: 6, method: 'ping' }, sessionHeader);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain('already in flight');
    expect((await nextMatching(firstStream, (message) => message.id === 6))?.result).toMatchObject({
      content: [{ text: 'slept 300 ms' }],
    });
  });

  it('ends a cancelled call’s stream without an answer (client before 2025-11-25), and records the cancellation', async () => {
    const sessionHeader = { 'Mcp-Session-Id': await initialize(server.url, '2025-06-18') };
    const call = await post(
      server.url,
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'sleep', arguments: { ms: 30_000 }, _meta: { progressToken: 'p7' } },
      },
      sessionHeader,
    );
    const stream = sseReader(call);
    const progress = await nextMatching(stream, (message) => message.method === 'notifications/progress');
    expect(progress?.params).toMatchObject({ progressToken: 'p7' });
    const cancelled = await post(
      server.url,
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'changed my mind' } },
      sessionHeader,
    );
    expect(cancelled.status).toBe(202);
    expect(await nextMatching(stream, (message) => message.id !== undefined)).toBeUndefined();
    const events = await server.events();
    expect(events.find((event) => event.type === 'RequestCancelled')?.data).toEqual({
      requestId: 7,
      reason: 'changed my mind',
    });
  });

  it('ends the session on DELETE: SessionEnded is recorded and the id is then unknown', async () => {
    const doomed = await initialize(server.url);
    const deleted = await fetch(server.url, { method: 'DELETE', headers: { 'Mcp-Session-Id': doomed } });
    expect(deleted.status).toBe(200);
    expect(
      (await post(server.url, { jsonrpc: '2.0', id: 8, method: 'ping' }, { 'Mcp-Session-Id': doomed })).status,
    ).toBe(404);
    const ended = (await server.events()).filter(
      (event) => event.stream === `session-${doomed}` && event.type === 'SessionEnded',
    );
    expect(ended.map((event) => event.data)).toEqual([{ reason: 'the client ended the session (HTTP DELETE)' }]);
  });

  it('does not record requests for unknown paths', async () => {
    const refusals = (await server.events()).filter((event) => event.type === 'AccessRefused');
    expect(refusals).toEqual([]);
  });
});

describe('per-agent concurrency', () => {
  it('refuses a request while the agent has maxConcurrentCalls in flight, with AGENT_OVERLOADED, and records it', async () => {
    const server = await startServer({
      toolsets: ['demo'],
      limits: { rateLimit: { maxConcurrentCalls: 1 } },
    });
    try {
      const session = await initialize(server.url);
      const sessionHeader = { 'Mcp-Session-Id': session };
      const sleep = await post(
        server.url,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 30_000 } } },
        sessionHeader,
      );
      const stream = sseReader(sleep);
      await nextMatching(stream, (message) => message.method === 'notifications/message');
      const ping = await post(server.url, { jsonrpc: '2.0', id: 2, method: 'ping' }, sessionHeader);
      expect(ping.status).toBe(200);
      expect(ping.headers.get('retry-after')).toBe('1');
      const refused = (await ping.json()) as { id: number; error: { code: number; data: Record<string, unknown> } };
      expect(refused.id).toBe(2);
      expect(refused.error.code).toBe(-32033);
      expect(refused.error.data).toMatchObject({ apex: 'AGENT_OVERLOADED', limit: 'concurrent_calls' });
      await post(
        server.url,
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
        sessionHeader,
      );
      await stream.cancel();
      const limited = (await server.events()).filter((event) => event.type === 'RequestRateLimited');
      expect(limited.map((event) => [event.stream, event.data])).toEqual([
        [
          'access-alice',
          {
            agent: 'alice',
            limit: 'concurrent_calls',
            retryAfterMs: 1000,
            httpMethod: 'POST',
            sessionId: session,
            correlationId: `${session}:2`,
            method: 'ping',
          },
        ],
      ]);
    } finally {
      await server.stop();
    }
  });
});

describe('open sessions per agent', () => {
  it('refuses a session over maxSessions with 429, until one is ended', async () => {
    const server = await startServer({ limits: { rateLimit: { maxSessions: 1 } } });
    try {
      const first = await initialize(server.url);
      const refused = await post(server.url, {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      await refused.text();
      await fetch(server.url, { method: 'DELETE', headers: { 'Mcp-Session-Id': first } });
      await initialize(server.url);
      const limited = (await server.events()).filter((event) => event.type === 'RequestRateLimited');
      expect(limited.map((event) => event.data)).toEqual([
        { agent: 'alice', limit: 'open_sessions', retryAfterMs: 1000, httpMethod: 'POST', method: 'initialize' },
      ]);
    } finally {
      await server.stop();
    }
  });
});

describe('idle sessions', () => {
  it('are ended (SessionEnded recorded) once nothing happened on them for http.sessionIdleMs', async () => {
    const server = await startServer({ http: { sessionIdleMs: 50 } });
    try {
      const session = await initialize(server.url);
      // Polls the log, not the endpoint: any request to the session would count as activity.
      const endOf = async () =>
        (await server.events()).find((event) => event.stream === `session-${session}` && event.type === 'SessionEnded');
      let ended = await endOf();
      for (let attempt = 0; attempt < 200 && ended === undefined; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        ended = await endOf();
      }
      expect(ended?.data).toEqual({ reason: 'idle for more than 50 ms' });
      expect(
        (await post(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'Mcp-Session-Id': session })).status,
      ).toBe(404);
    } finally {
      await server.stop();
    }
  });
});

describe('resuming a stream (Last-Event-ID)', () => {
  it('replays what a dropped request stream missed, then its answer, once', async () => {
    const server = await startServer({ toolsets: ['demo'] });
    try {
      const session = await initialize(server.url);
      const sessionHeader = { 'Mcp-Session-Id': session };
      const dropped = new AbortController();
      const call = await fetch(server.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...sessionHeader },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'sleep', arguments: { ms: 1500 }, _meta: { progressToken: 'p' } },
        }),
        signal: dropped.signal,
      });
      const first = sseEvents(call);
      const priming = await first.next();
      expect(priming?.message).toBeUndefined();
      expect(priming?.id).toMatch(/^\d+\.\d+$/);
      let lastSeen: SseEvent | undefined;
      while (lastSeen?.message?.method !== 'notifications/progress') lastSeen = await first.next();
      dropped.abort();

      const resumed = await fetch(server.url, {
        headers: { Accept: 'text/event-stream', ...sessionHeader, 'Last-Event-ID': lastSeen.id ?? '' },
      });
      expect(resumed.status).toBe(200);
      const replay = sseEvents(resumed);
      const after: SseEvent[] = [];
      for (let event = await replay.next(); event !== undefined; event = await replay.next()) after.push(event);

      const seqOf = (id: string | undefined) => Number(id?.split('.')[1]);
      expect(after.every((event) => seqOf(event.id) > seqOf(lastSeen?.id))).toBe(true);
      expect(after.filter((event) => event.message?.id === 1).map((event) => event.message?.result)).toEqual([
        expect.objectContaining({ content: [{ type: 'text', text: 'slept 1500 ms' }] }),
      ]);
      expect(after.at(-1)?.message?.id).toBe(1);

      const again = await fetch(server.url, {
        headers: { Accept: 'text/event-stream', ...sessionHeader, 'Last-Event-ID': lastSeen.id ?? '' },
      });
      expect(again.status).toBe(400);
    } finally {
      await server.stop();
    }
  });

  it('resumes the GET stream after its last event, with what was sent while it was away', async () => {
    const server = await startServer({ toolsets: ['demo'] });
    try {
      const session = await initialize(server.url);
      const sessionHeader = { 'Mcp-Session-Id': session };
      await (
        await post(
          server.url,
          { jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri: 'payroll://ledger/alice' } },
          sessionHeader,
        )
      ).json();
      const away = new AbortController();
      const get = await fetch(server.url, {
        headers: { Accept: 'text/event-stream', ...sessionHeader },
        signal: away.signal,
      });
      const primed = await sseEvents(get).next();
      expect(primed?.id).toMatch(/^0\.\d+$/);
      away.abort();

      const echo = await post(
        server.url,
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } },
        sessionHeader,
      );
      await nextMatching(sseReader(echo), (message) => message.id === 2);

      const back = await fetch(server.url, {
        headers: { Accept: 'text/event-stream', ...sessionHeader, 'Last-Event-ID': primed?.id ?? '' },
      });
      expect(back.status).toBe(200);
      const stream = sseReader(back);
      const update = await nextMatching(stream, (message) => message.method === 'notifications/resources/updated');
      expect(update?.params).toEqual({ uri: 'payroll://ledger/alice' });
      await stream.cancel();
    } finally {
      await server.stop();
    }
  });
});
