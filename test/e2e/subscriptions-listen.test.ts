import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { readAllEvents, writeConfig } from '../support/apex-process.js';
import { RawStdioPeer, type WireMessage } from '../support/raw-stdio-peer.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-listen');

const CONFIG = {
  agents: {
    alice: { name: 'Alice', balance: '100', permissions: ['demo'] },
    bob: { name: 'Bob', balance: '100', permissions: ['demo'] },
  },
  toolsets: ['demo'],
  // Longer than the test: a subscription must outlive the request TTL without being timed out.
  limits: { requestTtlMs: 1_000, gcIntervalMs: 200 },
};

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** Waits for the first message the server sent that matches (already received, or still to come). */
const waitFor = async (peer: RawStdioPeer, match: (message: WireMessage) => boolean): Promise<WireMessage> => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = peer.messages.find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting for a message');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('subscriptions/listen (2026-07-28) over stdio', () => {
  const store = temp.file();
  let peer: RawStdioPeer;
  let events: RecordedEvent[] = [];
  const seen: Record<string, WireMessage | undefined> = {};

  beforeAll(async () => {
    peer = RawStdioPeer.start({ config: writeConfig(temp.dir, CONFIG), store, agent: 'alice' });
    await peer.send({
      jsonrpc: '2.0',
      id: 'listen-1',
      method: 'subscriptions/listen',
      params: {
        _meta: META,
        notifications: {
          resourceSubscriptions: ['payroll://ledger/alice', 'payroll://ledger/bob', 'nope://missing'],
          toolsListChanged: true,
        },
      },
    });
    seen.ack = await waitFor(peer, (message) => message.method === 'notifications/subscriptions/acknowledged');
    // A call charges alice after the request TTL has passed several times: the subscription stays.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    seen.call = await peer.request('call', 'tools/call', { name: 'echo', arguments: { message: 'x' }, _meta: META });
    seen.update = await waitFor(
      peer,
      (message) =>
        message.method === 'notifications/resources/updated' &&
        (message.params as { uri?: string }).uri === 'payroll://ledger/alice',
    );
    await peer.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'listen-1' } });
    seen.afterCancel = await peer.request('ping', 'tools/list', { _meta: META });
    expect(await peer.close()).toEqual({ code: 0, signal: null });
    events = await readAllEvents(store);
  }, 120_000);

  afterAll(async () => {
    await peer?.close();
  });

  it('acknowledges first, tagged with the subscription id, honoring only what the caller may read', () => {
    expect(seen.ack?.params).toEqual({
      _meta: { [SUBSCRIPTION_ID]: 'listen-1' },
      notifications: { resourceSubscriptions: ['payroll://ledger/alice'] },
    });
  });

  it('announces a change to a subscribed resource, tagged, when the log changes the projection behind it', () => {
    expect(seen.call?.result).toMatchObject({ resultType: 'complete' });
    expect(seen.update?.params).toEqual({ uri: 'payroll://ledger/alice', _meta: { [SUBSCRIPTION_ID]: 'listen-1' } });
    expect(
      peer.messages.some(
        (message) =>
          message.method === 'notifications/resources/updated' &&
          (message.params as { uri?: string }).uri === 'payroll://ledger/bob',
      ),
    ).toBe(false);
  });

  it('is never timed out, and ends when the client cancels it, without a response', () => {
    expect(peer.messages.some((message) => message.id === 'listen-1')).toBe(false);
    const ofListen = events
      .filter((event) => (event.data as { requestId?: unknown }).requestId === 'listen-1')
      .map((event) => event.type);
    expect(ofListen).toEqual(['RequestReceived', 'RequestCancelled']);
    expect(seen.afterCancel?.result).toMatchObject({ resultType: 'complete' });
  });
});
