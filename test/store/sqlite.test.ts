import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { NewEvent, RecordedEvent } from '../../src/store/event-store.js';
import { wrongExpectedVersion } from '../../src/store/event-store.js';
import type { BatchCommitted } from '../../src/store/sqlite/index.js';
import {
  ConflictingEventIds,
  EventStoreClosed,
  InvalidAppend,
  openSqliteStore,
  SCHEMA_VERSION,
  UnsupportedSchemaVersion,
} from '../../src/store/sqlite/index.js';
import { uuidV7 } from '../../src/store/sqlite/uuid-v7.js';
import { verifyChain } from '../../src/store/verify.js';
import { useTempDir } from '../support/sqlite-temp.js';
import { describeEventStoreContract } from './contract.js';

const temp = useTempDir('sqlite-store');

// A file's commits run on this thread by default; 'thread' moves them to a writer thread (ADR 0012).
describeEventStoreContract('sqlite file', () => openSqliteStore({ path: temp.file() }), { startsEmpty: true });
describeEventStoreContract(
  'sqlite file, writer thread',
  () => openSqliteStore({ path: temp.file(), writer: 'thread' }),
  { startsEmpty: true },
);
describeEventStoreContract('sqlite :memory:', () => openSqliteStore({ path: ':memory:' }), { startsEmpty: true });
// Tiny pages put page boundaries inside every read and make catch-up span many turns.
describeEventStoreContract(
  'sqlite file, normal durability, 3-row pages',
  () => openSqliteStore({ path: temp.file(), durability: 'normal', readPageSize: 3 }),
  { startsEmpty: true },
);

const event = (data: unknown, extra: Partial<NewEvent> = {}): NewEvent => ({
  type: 'Tested',
  schemaVersion: 1,
  data,
  metadata: { timestamp: '2026-11-25T00:00:00.000Z' },
  ...extra,
});

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
};

describe('sqlite event store', () => {
  it('rejects caller bugs at call time without queueing them', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const invalid: Array<[string, unknown, NewEvent[]]> = [
      ['agent-a', 'any', []],
      ['agent-a', -1n, [event({})]],
      ['agent-a', 'latest', [event({})]],
      ['agent-a', 'any', [event({}, { type: '' })]],
      ['agent-a', 'any', [event({}, { type: 'Two\nLines' })]],
      ['agent-a', 'any', [event({}, { schemaVersion: 1.5 })]],
      ['agent-a', 'any', [event({}, { id: 'not-a-uuid' })]],
      ['agent-a', 'any', [event(cyclic)]],
      ['agent-a', 'any', [event(10n)]],
      ['agent-a', 'any', [event(undefined)]],
      ['agent-a', 'any', [event(() => 1)]],
      ['$all', 'any', [event({})]],
    ];
    for (const [stream, expected, events] of invalid) {
      await expect(store.append(stream, expected as never, events)).rejects.toBeInstanceOf(InvalidAppend);
    }
    const id = randomUUID();
    await expect(store.append('agent-a', 'any', [event({}, { id }), event({}, { id })])).rejects.toThrow(/repeats/);
    expect(await store.headPosition()).toBe(-1n);
    await store.close();
  });

  it('gives events without an id a unique, time-ordered version 7 UUID', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.append(
      'agent-a',
      'any',
      Array.from({ length: 3 }, (_, n) => event({ n })),
    );
    const ids = (await collect(store.readStream('agent-a'))).map((e) => e.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidV7(1_000) < uuidV7(2_000)).toBe(true);
    expect(uuidV7(0x0123456789ab).startsWith('01234567-89ab-7')).toBe(true);
    const many = Array.from({ length: 5_000 }, () => uuidV7(42));
    expect(new Set(many).size).toBe(many.length);
    await store.close();
  });

  it('serializes data at call time, so mutating it afterwards changes nothing', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const data = { amount: 1 };
    const appended = store.append('agent-a', 'any', [event(data)]);
    data.amount = 999;
    await appended;
    expect((await collect(store.readStream('agent-a')))[0]!.data).toEqual({ amount: 1 });
    await store.close();
  });

  it('commits appends issued in one turn in one transaction, checking each against the batch so far', async () => {
    const batches: BatchCommitted[] = [];
    const store = openSqliteStore({ path: temp.file(), onBatchCommitted: (batch) => batches.push(batch) });
    const results = await Promise.all([
      store.append('agent-a', 'no_stream', [event({ n: 1 })]),
      store.append('agent-a', 'no_stream', [event({ n: 2 })]),
      store.append('agent-a', 0n, [event({ n: 3 }), event({ n: 4 })]),
      store.append('agent-b', 'no_stream', [event({ n: 5 })]),
      ...Array.from({ length: 96 }, (_, n) => store.append(`agent-c${n}`, 'any', [event({ n })])),
    ]);
    expect(batches).toEqual([{ appends: 100, events: 100 }]);
    expect(results[1]).toEqual({ _tag: 'Left', left: wrongExpectedVersion('agent-a', 'no_stream', 0n) });
    expect(results[2]).toEqual({ _tag: 'Right', right: { nextExpectedRevision: 2n, position: 3n } });
    expect((await collect(store.readStream('agent-a'))).map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }, { n: 4 }]);
    expect(results.filter(isRight)).toHaveLength(99);
    await store.close();
  });

  it('rejects every append of a batch whose transaction fails, and recovers afterwards', async () => {
    const path = temp.file();
    const store = openSqliteStore({ path, busyTimeoutMs: 20 });
    await store.append('agent-a', 'any', [event({ n: 0 })]);
    const rival = new Database(path);
    rival.exec('BEGIN IMMEDIATE');
    const batch = [
      store.append('agent-a', 'any', [event({ n: 1 })]),
      store.append('agent-b', 'any', [event({ n: 2 })]),
    ];
    for (const append of batch) await expect(append).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    rival.exec('ROLLBACK');
    rival.close();
    expect(isRight(await store.append('agent-b', 'no_stream', [event({ n: 3 })]))).toBe(true);
    expect((await collect(store.readAll())).map((e) => e.data)).toEqual([{ n: 0 }, { n: 3 }]);
    await store.close();
  });

  it('keeps the log, the chain and the schema version across reopening', async () => {
    const path = temp.file();
    const first = openSqliteStore({ path });
    await first.append('agent-a', 'no_stream', [event({ n: 1 })]);
    await first.close();
    const second = openSqliteStore({ path, durability: 'normal' });
    expect(isRight(await second.append('agent-a', 0n, [event({ n: 2 })]))).toBe(true);
    expect(await verifyChain(second)).toMatchObject({ ok: true, events: 2, streams: 1 });
    await second.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('refuses a file written by a newer schema', () => {
    const path = temp.file();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openSqliteStore({ path })).toThrow(UnsupportedSchemaVersion);
  });

  it('carries positions above 2^53 exactly, as bigint', async () => {
    const path = temp.file();
    await openSqliteStore({ path }).close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)").run(2n ** 60n);
    raw.close();
    const store = openSqliteStore({ path });
    const result = await store.append('agent-a', 'any', [event({})]);
    expect(result).toEqual({ _tag: 'Right', right: { nextExpectedRevision: 0n, position: 2n ** 60n + 1n } });
    expect((await collect(store.readAll({ after: 2n ** 60n })))[0]!.position).toBe(2n ** 60n + 1n);
    expect(await store.headPosition()).toBe(2n ** 60n + 1n);
    await store.close();
  });

  it('refuses event ids already stored elsewhere without failing the rest of the batch', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const id = randomUUID();
    await store.append('agent-a', 'any', [event({}, { id })]);
    const [elsewhere, sameIdOtherCase, unrelated] = await Promise.allSettled([
      store.append('agent-b', 'any', [event({}, { id })]),
      store.append('agent-a', 'any', [event({}, { id: id.toUpperCase() })]),
      store.append('agent-c', 'any', [event({})]),
    ]);
    expect(elsewhere).toMatchObject({ status: 'rejected', reason: expect.any(ConflictingEventIds) });
    expect(sameIdOtherCase).toMatchObject({ status: 'fulfilled', value: { _tag: 'Right' } });
    expect(unrelated).toMatchObject({ status: 'fulfilled', value: { _tag: 'Right' } });
    expect((await collect(store.readAll())).map((e) => e.stream)).toEqual(['agent-a', 'agent-c']);
    await store.close();
  });

  it('flushes pending appends and completes subscriptions on close, then refuses work', async () => {
    const path = temp.file();
    const store = openSqliteStore({ path });
    let completed = false;
    store.subscribeAll().subscribe({ complete: () => (completed = true) });
    const pending = store.append('agent-a', 'no_stream', [event({ n: 1 })]);
    await store.close();
    expect(isRight(await pending)).toBe(true);
    expect(completed).toBe(true);
    await expect(store.append('agent-a', 'any', [event({})])).rejects.toBeInstanceOf(EventStoreClosed);
    await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreClosed);
    const reopened = openSqliteStore({ path });
    expect(await collect(reopened.readStream('agent-a'))).toHaveLength(1);
    await reopened.close();
  });

  it('stops delivering to a subscriber once it unsubscribes', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const early: RecordedEvent[] = [];
    let firstDelivered: () => void = () => {};
    const delivered = new Promise<void>((resolve) => (firstDelivered = resolve));
    const subscription = store.subscribeAll().subscribe((e) => {
      early.push(e);
      firstDelivered();
    });
    // The witness shares the one poller with the first subscriber: what it sees, the first would see.
    const witness = firstValueFrom(store.subscribeAll().pipe(take(2), toArray()));
    await store.append('agent-a', 'any', [event({ n: 1 })]);
    await delivered;
    subscription.unsubscribe();
    await store.append('agent-a', 'any', [event({ n: 2 })]);
    expect((await witness).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(early.map((e) => e.data)).toEqual([{ n: 1 }]);
    await store.close();
  });

  it('sees appends made through another connection to the same file', async () => {
    const path = temp.file();
    const watcher = openSqliteStore({ path });
    const writer = openSqliteStore({ path });
    const received = firstValueFrom(watcher.subscribeAll().pipe(take(20), toArray()));
    for (let n = 0; n < 20; n++) await writer.append('agent-a', n === 0 ? 'no_stream' : BigInt(n - 1), [event({ n })]);
    expect((await received).map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    await Promise.all([watcher.close(), writer.close()]);
  });

  it('reads stream heads and logs larger than a page', async () => {
    const store = openSqliteStore({ path: ':memory:', readPageSize: 7 });
    for (let n = 0; n < 20; n++)
      await store.append(`agent-s${String(n).padStart(2, '0')}`, 'any', [event({ n }), event({ n })]);
    const heads = await collect(store.streamHeads());
    expect(heads.map((h) => h.stream)).toEqual(
      Array.from({ length: 20 }, (_, n) => `agent-s${String(n).padStart(2, '0')}`),
    );
    expect((await collect(store.readAll())).map((e) => e.position)).toEqual(
      Array.from({ length: 40 }, (_, i) => BigInt(i + 1)),
    );
    expect(isLeft(await store.append('agent-s00', 0n, [event({})]))).toBe(true);
    await store.close();
  });
});
