import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { isRight } from 'fp-ts/lib/Either.js';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/store/event-store.js';
import { openEventStoreDbStore, ReservedMetadataKeyError } from '../../src/store/eventstoredb/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { verifyChain } from '../../src/store/verify.js';
import { type EsdbProtocolFake, startEsdbProtocolFake } from '../support/esdb-protocol-fake/index.js';
import { findRealEventStoreDb } from '../support/real-eventstoredb.js';
import { describeEventStoreContract } from './contract.js';

/** Opens the adapter on a protocol fake of its own; closing the store stops the fake. */
const openOnOwnProtocolFake = async (
  options: Parameters<typeof startEsdbProtocolFake>[0] = {},
): Promise<EventStore> => {
  const fake = await startEsdbProtocolFake(options);
  const store = openEventStoreDbStore(fake.connectionString);
  return {
    ...store,
    close: async () => {
      await store.close();
      await fake.stop();
    },
  };
};

// As a real server behaves: Streams.BatchAppend advertised, an empty log but for the server's own events.
describeEventStoreContract(
  'EventStoreDB adapter on the gRPC protocol fake (BatchAppend)',
  () => openOnOwnProtocolFake(),
  {
    startsEmpty: true,
  },
);

// One fake shared by every test, as a long-lived server is; Streams.Append instead of BatchAppend.
let sharedFake: Promise<EsdbProtocolFake> | undefined;
afterAll(async () => (await sharedFake)?.stop());
describeEventStoreContract('EventStoreDB adapter on a shared gRPC protocol fake (Append)', async () => {
  sharedFake ??= startEsdbProtocolFake({ batchAppend: false });
  return openEventStoreDbStore((await sharedFake).connectionString);
});

// A real server when one can be had (APEX_ESDB_URL, or KurrentDB in Docker via testcontainers); skipped, saying why, otherwise.
const realServer = await findRealEventStoreDb();
if (realServer.kind === 'absent') {
  describe.skip(`EventStoreDB (real server) — skipped: ${realServer.reason}`, () => {
    describeEventStoreContract('real server', () => openEventStoreDbStore('esdb://127.0.0.1:2113?tls=false'));
  });
} else {
  afterAll(() => realServer.stop());
  describeEventStoreContract(`EventStoreDB (real server: ${realServer.source})`, () =>
    openEventStoreDbStore(realServer.url),
  );
}

const newEvent = (type: string, data: unknown, extra: Partial<NewEvent> = {}): NewEvent => ({
  type,
  schemaVersion: 1,
  data,
  metadata: { timestamp: '2026-11-25T10:32:00.000Z', correlationId: 'session-1:42', agent: 'alice' },
  ...extra,
});

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
};

describe('EventStoreDB adapter, through the real client and the gRPC protocol fake', () => {
  let fake: EsdbProtocolFake;
  const opened: { close(): Promise<void> }[] = [];
  const open = (connectionString = fake.connectionString): EventStore => {
    const store = openEventStoreDbStore(connectionString);
    opened.push(store);
    return store;
  };
  const rawClient = () => {
    const client = EventStoreDBClient.connectionString(fake.connectionString);
    opened.push({ close: () => client.dispose() });
    return client;
  };
  const startFake = async (options: Parameters<typeof startEsdbProtocolFake>[0] = {}) => {
    fake = await startEsdbProtocolFake(options);
    opened.push({ close: () => fake.stop() });
  };

  afterEach(async () => {
    for (const resource of opened.splice(0).reverse()) await resource.close();
  });

  it('stores JSON events whose metadata is APEX metadata followed by schemaVersion, prevHash and hash', async () => {
    await startFake();
    const store = open();
    const id = randomUUID();
    await store.append('agent-alice', 'no_stream', [
      newEvent('AgentCredited', { amount: 100 }, { id, schemaVersion: 3 }),
    ]);
    const [stored] = await collect(store.readStream('agent-alice'));
    const [raw] = await collect(rawClient().readStream('agent-alice'));
    expect(raw?.event).toMatchObject({ id, type: 'AgentCredited', isJson: true, data: { amount: 100 } });
    expect(raw?.event?.metadata).toEqual({
      timestamp: '2026-11-25T10:32:00.000Z',
      correlationId: 'session-1:42',
      agent: 'alice',
      schemaVersion: 3,
      prevHash: stored!.prevHash,
      hash: stored!.hash,
    });
    expect(Object.keys(raw?.event?.metadata ?? {}).slice(-3)).toEqual(['schemaVersion', 'prevHash', 'hash']);
  });

  it("hides the server's own events from readAll, subscribeAll, headPosition and streamHeads", async () => {
    await startFake();
    const store = open();
    const live = firstValueFrom(store.subscribeAll().pipe(take(2), toArray()));
    await store.append('agent-a', 'any', [newEvent('A', {})]);
    fake.appendSystemEvent('$stats-127.0.0.1:2113', '$statsCollected');
    await store.append('agent-b', 'any', [newEvent('B', {})]);
    fake.appendSystemEvent('$stats-127.0.0.1:2113', '$statsCollected');

    const all = await collect(store.readAll());
    expect(all.map((event) => event.type)).toEqual(['A', 'B']);
    expect((await live).map((event) => event.type)).toEqual(['A', 'B']);
    expect(await store.headPosition()).toBe(all[1]!.position);
    expect((await collect(store.streamHeads())).map((head) => head.stream)).toEqual(['agent-a', 'agent-b']);
    expect(fake.log.records.filter((record) => record.stream.startsWith('$'))).toHaveLength(3);
  });

  it('chains a stream exactly as the SQLite adapter does, so either export verifies the same', async () => {
    await startFake();
    const esdb = open();
    const sqlite = openSqliteStore({ path: ':memory:' });
    opened.push(sqlite);
    const appends: [bigint | 'no_stream' | 'any', NewEvent[]][] = [
      ['no_stream', [newEvent('AgentCredited', { amount: 100, note: 'ünïcødé', list: [1.5, -0, 1e21, null] })]],
      [0n, [newEvent('AgentCharged', { amount: 7 }), newEvent('PenaltyApplied', { reason: 'timeout\nretry' })]],
      ['any', [newEvent('PipOpened', {}, { metadata: { timestamp: '2026-11-25T11:00:00.000Z', 7: 'numeric key' } })]],
    ];
    for (const [expected, events] of appends) {
      expect(isRight(await esdb.append('agent-alice', expected, events))).toBe(true);
      expect(isRight(await sqlite.append('agent-alice', expected, events))).toBe(true);
    }
    const links = (events: RecordedEvent[]) =>
      events.map(({ revision, prevHash, hash }) => ({ revision, prevHash, hash }));
    expect(links(await collect(esdb.readStream('agent-alice')))).toEqual(
      links(await collect(sqlite.readStream('agent-alice'))),
    );
    expect(await verifyChain(esdb)).toMatchObject({ ok: true, events: 4, streams: 1 });
  });

  it('keeps one chain when two instances (two processes) append `any` to the same stream at once', async () => {
    await startFake();
    const [first, second] = [open(), open()];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        (n % 2 === 0 ? first : second).append('system-bank', 'any', [newEvent('Tick', { n })]),
      ),
    );
    expect(results.every(isRight)).toBe(true);
    const events = await collect(first.readStream('system-bank'));
    expect(events.map((event) => event.revision)).toEqual(Array.from({ length: 40 }, (_, n) => BigInt(n)));
    expect(await verifyChain(second)).toMatchObject({ ok: true, events: 40 });
  });

  it('gives a retry from another instance the original result, with an exact expectation or `any`', async () => {
    await startFake();
    const events = [newEvent('A', { n: 1 }, { id: randomUUID() }), newEvent('B', { n: 2 }, { id: randomUUID() })];
    const original = await open().append('session-s1', 'no_stream', events);
    await open().append('session-s1', 'any', [newEvent('C', {})]);
    expect(await open().append('session-s1', 'no_stream', events)).toEqual(original);
    expect(await open().append('session-s1', 'any', events)).toEqual(original);
    expect((await collect(open().readStream('session-s1'))).map((event) => event.type)).toEqual(['A', 'B', 'C']);
  });

  it('reports an event APEX did not write as unreadable, which verify names', async () => {
    await startFake();
    const store = open();
    await store.append('agent-mallory', 'no_stream', [newEvent('A', {})]);
    await rawClient().appendToStream('agent-mallory', jsonEvent({ type: 'Forged', data: { amount: 1e6 } }));
    await expect(collect(store.readStream('agent-mallory'))).rejects.toMatchObject({ name: 'UnreadableStoredEvent' });
    expect(await verifyChain(store)).toMatchObject({
      ok: false,
      firstBroken: { stream: 'agent-mallory', revision: 1n, reason: 'unreadable' },
    });
  });

  it('refuses metadata that uses the names of the chain fields, and writes nothing', async () => {
    await startFake();
    const store = open();
    const forged = newEvent('A', {}, { metadata: { timestamp: '2026-11-25T10:32:00.000Z', hash: '0'.repeat(64) } });
    await expect(store.append('agent-a', 'any', [forged])).rejects.toBeInstanceOf(ReservedMetadataKeyError);
    expect(await store.headPosition()).toBe(-1n);
  });

  it('finds the leader through gossip with a discovery connection string, and takes KurrentDB schemes', async () => {
    await startFake();
    const store = open(fake.discoveryConnectionString);
    expect(isRight(await store.append('agent-a', 'no_stream', [newEvent('A', {})]))).toBe(true);
    expect(await collect(store.readStream('agent-a'))).toHaveLength(1);
    for (const scheme of ['kurrentdb', 'kdb+discover']) {
      const viaScheme = open(fake.connectionString.replace(/^esdb/, scheme));
      expect(await collect(viaScheme.readStream('agent-a'))).toHaveLength(1);
    }
  });

  it('names the server version it needs when stream reads come without positions', async () => {
    await startFake({ positionsOnStreamReads: false });
    const store = open();
    await store.append('agent-a', 'no_stream', [newEvent('A', {})]);
    await expect(collect(store.readStream('agent-a'))).rejects.toThrow(/22\.10 or later/);
    // Appending to it needs its head, read the same way.
    await expect(store.append('agent-a', 'no_stream', [newEvent('B', {})])).rejects.toThrow(/22\.10 or later/);
  });

  it('waits for pending appends and completes subscriptions on close, then refuses work', async () => {
    await startFake();
    const store = openEventStoreDbStore(fake.connectionString);
    let completed = false;
    store.subscribeAll().subscribe({ complete: () => (completed = true) });
    const pending = store.append('agent-a', 'no_stream', [newEvent('A', {})]);
    await store.close();
    expect(isRight(await pending)).toBe(true);
    expect(completed).toBe(true);
    await expect(store.append('agent-a', 'any', [newEvent('B', {})])).rejects.toMatchObject({
      name: 'EventStoreClosed',
    });
    expect(await collect(open().readStream('agent-a'))).toHaveLength(1);
  });

  it('rejects the call, not the process, when no server answers', async () => {
    await startFake();
    await fake.stop();
    const store = open();
    await expect(store.append('agent-a', 'any', [newEvent('A', {})])).rejects.toThrow();
    await expect(store.headPosition()).rejects.toThrow();
  });

  it('ends a subscription with EventStoreUnavailable, naming the last position delivered, when its one node stops', async () => {
    await startFake();
    const store = open();
    const received: RecordedEvent[] = [];
    const ended = new Promise<unknown>((resolve) =>
      store.subscribeAll().subscribe({
        next: (event) => {
          received.push(event);
          void fake.stop();
        },
        error: resolve,
        complete: () => resolve('completed'),
      }),
    );
    await store.append('agent-a', 'any', [newEvent('A', {})]);
    const failure = await ended;
    expect(failure).toMatchObject({ name: 'EventStoreUnavailable' });
    expect((failure as Error).message).toContain(`every event up to position ${received[0]!.position} was delivered`);
  });
});
