import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { readAllEvents, writeConfig } from '../support/apex-process.js';
import { RawStdioPeer, type WireMessage } from '../support/raw-stdio-peer.js';
import { correlationOfRequest, ledgerOfRequest } from '../support/recorded-requests.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-multi-round');

const CONFIG = {
  agents: { alice: { name: 'Alice', balance: '100', permissions: ['demo'] } },
  tools: { ask_model: { price: { perCall: '1', perSecond: '0' }, category: 'demo', permissions: ['demo'] } },
  toolsets: ['demo'],
};

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': { sampling: {} },
  'io.modelcontextprotocol/clientInfo': { name: 'mrtr-test', version: '1' },
};

const ASK = { name: 'ask_model', arguments: { prompt: 'six times seven?' }, _meta: META };
const MODEL_ANSWER = { role: 'assistant', content: { type: 'text', text: '42' }, model: 'test-model' };

type Result = { resultType?: string; inputRequests?: Record<string, { method: string }>; requestState?: string };

describe('multi round-trip tool calls for 2026-07-28 clients (a tool that needs sampling), over stdio', () => {
  const store = temp.file();
  let peer: RawStdioPeer;
  let events: RecordedEvent[] = [];
  const seen: Record<string, WireMessage> = {};

  beforeAll(async () => {
    peer = RawStdioPeer.start({ config: writeConfig(temp.dir, CONFIG), store, agent: 'alice' });
    seen.first = await peer.request('round-1', 'tools/call', ASK);
    const state = (seen.first.result as Result).requestState;
    seen.second = await peer.request('round-2', 'tools/call', {
      ...ASK,
      requestState: state,
      inputResponses: { 'input-1': MODEL_ANSWER, 'unknown-key': { ignored: true } },
    });
    seen.replayed = await peer.request('replayed', 'tools/call', {
      ...ASK,
      requestState: state,
      inputResponses: { 'input-1': MODEL_ANSWER },
    });
    seen.tampered = await peer.request('tampered', 'tools/call', {
      ...ASK,
      requestState: `${state}-TAMPERED`,
      inputResponses: { 'input-1': MODEL_ANSWER },
    });
    seen.grafted = await peer.request('grafted', 'tools/call', {
      ...ASK,
      arguments: { prompt: 'something else' },
      requestState: state,
      inputResponses: { 'input-1': MODEL_ANSWER },
    });
    seen.noCapability = await peer.request('no-capability', 'tools/call', {
      ...ASK,
      _meta: { ...META, 'io.modelcontextprotocol/clientCapabilities': {} },
    });
    expect(await peer.close()).toEqual({ code: 0, signal: null });
    events = await readAllEvents(store);
  }, 120_000);

  afterAll(async () => {
    await peer?.close();
  });

  it('answers the first round with input_required: the sampling request, and a signed state', () => {
    const first = seen.first?.result as Result;
    expect(first.resultType).toBe('input_required');
    expect(first.inputRequests).toEqual({
      'input-1': { method: 'sampling/createMessage', params: expect.objectContaining({ maxTokens: 256 }) },
    });
    expect(first.requestState).toMatch(/^v1\./);
  });

  it("finishes the call on the retry with the client's answer", () => {
    expect(seen.second?.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: '42' }] });
  });

  it('refuses a replayed, a tampered and a grafted state with -32602, and records each refusal', () => {
    for (const id of ['replayed', 'tampered', 'grafted'] as const) {
      expect(seen[id]?.error, id).toMatchObject({ code: -32602, data: { path: 'params.requestState' } });
    }
    const failed = events
      .filter((event) => event.type === 'RequestFailed' && (event.data as { code: number }).code === -32602)
      .map((event) => event.data);
    expect(failed).toEqual(
      ['replayed', 'tampered', 'grafted'].map((requestId) =>
        expect.objectContaining({ requestId, code: -32602, message: expect.stringContaining('requestState') }),
      ),
    );
  });

  it('records the state’s use once, in requeststate-<nonce>, with the round that used it (not the replay)', () => {
    const consumed = events.filter((event) => event.type === 'RequestStateConsumed');
    expect(consumed).toHaveLength(1);
    const [event] = consumed as [RecordedEvent];
    expect(event.stream).toBe(`requeststate-${(event.data as { nonce: string }).nonce}`);
    expect(event.data).toMatchObject({ agent: 'alice', call: correlationOfRequest(events, 'round-1'), round: 1 });
    expect(event.metadata.correlationId).toBe(correlationOfRequest(events, 'round-2'));
  });

  it('does not ask a client for what it did not declare: the call ends with -32021 naming the capability', () => {
    expect(seen.noCapability?.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
    expect(ledgerOfRequest(events, 'no-capability', 'alice')).toEqual(['FundsReserved', 'ReservationReleased']);
  });

  it('records the rounds as one call: input required, then continued with the answer, linked by the first round', () => {
    const firstCall = correlationOfRequest(events, 'round-1');
    const inputRequired = events.find((event) => event.type === 'ToolCallInputRequired');
    expect(inputRequired?.data).toMatchObject({
      requestId: 'round-1',
      call: firstCall,
      round: 1,
      inputKeys: ['input-1'],
    });
    const continued = events.find(
      (event) => event.type === 'ToolCallRequested' && (event.data as { requestId: unknown }).requestId === 'round-2',
    );
    expect(continued?.data).toMatchObject({ continues: { call: firstCall, round: 2, inputProvided: ['input-1'] } });
    const received = events.find(
      (event) => event.type === 'RequestReceived' && (event.data as { requestId: unknown }).requestId === 'round-2',
    );
    expect(received?.data).toMatchObject({ protocolVersion: '2026-07-28', clientInfo: { name: 'mrtr-test' } });
  });

  it('charges the call once: the first round releases its reservation, the last one is charged', () => {
    const ledgerOf = (requestId: string) => ledgerOfRequest(events, requestId, 'alice');
    expect(ledgerOf('round-1')).toEqual(['FundsReserved', 'ReservationReleased']);
    expect(ledgerOf('round-2')).toEqual(['FundsReserved', 'ToolCallCharged']);
    expect(ledgerOf('tampered')).toEqual([]);
  });
});
