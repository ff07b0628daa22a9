import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { verifyChain } from '../../src/store/verify.js';
import { readAllEvents, writeConfig } from '../support/apex-process.js';
import { type HttpApex, issueToken, startHttpApex } from '../support/http-process.js';
import { useTempDir } from '../support/sqlite-temp.js';
import { type SseEvent, sseEvents } from '../support/sse-events.js';

const temp = useTempDir('e2e-http-restart');

const CONFIG = {
  agents: {
    alice: { name: 'Alice', balance: '100', permissions: ['demo'] },
    bob: { name: 'Bob', balance: '100', permissions: ['demo'] },
  },
  tools: { sleep: { price: { perCall: '2', perSecond: '0' }, category: 'demo', permissions: ['demo'] } },
  toolsets: ['demo'],
};

describe('an HTTP session across a crash of APEX (SIGKILL mid-call, then a new process on the same store)', () => {
  const store = temp.file();
  let first: HttpApex;
  let second: HttpApex;
  let events: RecordedEvent[] = [];
  const seen: {
    before: SseEvent[];
    after: SseEvent[];
    secondResume?: number;
    bobStatus?: number;
    echoAfter?: unknown;
  } = { before: [], after: [] };

  beforeAll(async () => {
    const alice = await issueToken('alice', store);
    const bob = await issueToken('bob', store);
    const config = writeConfig(temp.dir, { ...CONFIG, tokens: { alice: [alice.hash], bob: [bob.hash] } });
    first = await startHttpApex({ config, store });
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      Authorization: `Bearer ${alice.token}`,
    };
    const initialized = await fetch(first.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'restart', version: '1' } },
      }),
    });
    await initialized.json();
    const session = initialized.headers.get('mcp-session-id') ?? '';
    const inSession = { ...headers, 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-11-25' };
    await fetch(first.url, {
      method: 'POST',
      headers: inSession,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });

    // A long sleep with progress; three progress notifications arrive, then the process is killed.
    const call = await fetch(first.url, {
      method: 'POST',
      headers: inSession,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'sleep', arguments: { ms: 600_000 }, _meta: { progressToken: 'p' } },
      }),
    });
    const { next } = sseEvents(call);
    while (seen.before.filter((event) => event.message?.method === 'notifications/progress').length < 3) {
      const event = await next();
      if (event === undefined) throw new Error('the call stream ended early');
      seen.before.push(event);
    }
    first.child.kill('SIGKILL');
    await first.stop();

    second = await startHttpApex({ config, store });
    const resumeHeaders = { ...inSession, Accept: 'text/event-stream' };
    // Another agent cannot bring the session back: it stays unknown to it.
    const bobTry = await fetch(second.url, {
      headers: { ...resumeHeaders, Authorization: `Bearer ${bob.token}`, 'Last-Event-ID': seen.before[0]?.id ?? '' },
    });
    seen.bobStatus = bobTry.status;
    await bobTry.body?.cancel();

    // Resuming from the priming event: everything recorded before the crash, then the error for the cut-off call.
    const resumed = await fetch(second.url, {
      headers: { ...resumeHeaders, 'Last-Event-ID': seen.before[0]?.id ?? '' },
    });
    const { next: replay } = sseEvents(resumed);
    for (let event = await replay(); event !== undefined; event = await replay()) seen.after.push(event);
    const again = await fetch(second.url, {
      headers: { ...resumeHeaders, 'Last-Event-ID': seen.before[0]?.id ?? '' },
    });
    seen.secondResume = again.status;
    await again.body?.cancel();

    // The session carries on in the new process.
    const echo = await fetch(second.url, {
      method: 'POST',
      headers: { ...inSession, Accept: 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 8,
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: 'back' } },
      }),
    });
    seen.echoAfter = await echo.json();
    await second.stop();
    events = await readAllEvents(store);
  }, 180_000);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  it('replays every message sent before the crash, with the same ids, then answers the cut-off call with an error', () => {
    const progressBefore = seen.before.filter((event) => event.message?.method === 'notifications/progress');
    const progressAfter = seen.after.filter((event) => event.message?.method === 'notifications/progress');
    // Everything the first process sent is replayed (it may have recorded one more before it died).
    expect(progressAfter.slice(0, progressBefore.length)).toEqual(progressBefore);
    const last = seen.after.at(-1);
    expect(last?.message).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32603 } });
    expect(last?.message?.error?.message).toContain('restarted');
    expect(seen.secondResume).toBe(400);
  });

  it('does not let another agent take the session over', () => {
    expect(seen.bobStatus).toBe(404);
  });

  it('keeps serving the session in the new process', () => {
    expect(seen.echoAfter).toMatchObject({ id: 8, result: { content: [{ type: 'text', text: 'back' }] } });
  });

  it('records the call as cut off, the take-over, and releases the reservation without charging', () => {
    const sleepCall = events.find(
      (event) => event.type === 'RequestReceived' && (event.data as { requestId: unknown }).requestId === 7,
    );
    const correlationId = sleepCall?.metadata.correlationId;
    const ofCall = events.filter((event) => event.metadata.correlationId === correlationId);
    const types = ofCall.map((event) => event.type);
    expect(types[0]).toBe('RequestReceived');
    // The reservation (agent stream) and the tool call (session stream) are appended side by side.
    expect(types.slice(1, 3).sort()).toEqual(['FundsReserved', 'ToolCallRequested']);
    // Progress recorded by the first process, then what the second one recorded when it took over.
    expect(types.slice(3, -3).every((type) => type === 'MessageStreamed')).toBe(true);
    expect(types.slice(-3)).toEqual(['RequestFailed', 'ReservationReleased', 'MessageStreamed']);
    expect(ofCall.find((event) => event.type === 'RequestFailed')?.data).toMatchObject({
      code: -32603,
      message: expect.stringContaining('cut off'),
    });
    const adopted = events.find((event) => event.type === 'SessionAdopted');
    expect(adopted?.data).toMatchObject({
      instance: { pid: second.child.pid },
      previous: { pid: first.child.pid },
      cutOff: 1,
    });
    expect(
      events.some((event) => event.type === 'ToolCallCharged' && event.metadata.correlationId === correlationId),
    ).toBe(false);
  });

  it('leaves a log whose chains verify', async () => {
    const opened = openSqliteStore({ path: store });
    try {
      expect((await verifyChain(opened)).ok).toBe(true);
    } finally {
      await opened.close();
    }
  });
});
