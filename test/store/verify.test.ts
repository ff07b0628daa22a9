import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EventStore, NewEvent, StreamHead } from '../../src/store/event-store.js';
import { eventHash } from '../../src/store/hash-chain.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { EventRow } from '../../src/store/sqlite/statements.js';
import { headsDigest, takeAuditCheckpoint, verifyAgainstDigest, verifyChain } from '../../src/store/verify.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('verify');

const charge = (amount: number): NewEvent => ({
  type: 'ToolCallCharged',
  schemaVersion: 1,
  data: { amount, tool: 'search' },
  metadata: { timestamp: '2026-11-25T10:32:00.000Z', agent: 'alice' },
});

const STREAMS = ['agent-alice', 'agent-bob', 'session-s1'] as const;
const EVENTS_PER_STREAM = 4;

/** A file with STREAMS × EVENTS_PER_STREAM events, interleaved: positions 1..12 round-robin over the streams. */
const seededStore = async (): Promise<{ path: string; store: EventStore }> => {
  const path = temp.file();
  const store = openSqliteStore({ path });
  for (let round = 0; round < EVENTS_PER_STREAM; round++) {
    for (const stream of STREAMS) await store.append(stream, 'any', [charge(100 + round)]);
  }
  return { path, store };
};

/** Edits the file behind the store's back, as an attacker with file access would. */
const tamper = (path: string, edit: (db: Database.Database) => void): void => {
  const db = new Database(path);
  try {
    edit(db);
  } finally {
    db.close();
  }
};

const storedData = (db: Database.Database, position: number): string =>
  (db.prepare('SELECT data FROM events WHERE position = ?').get(position) as { data: string }).data;

describe('verifyChain', () => {
  it('passes an intact log and counts its events and streams', async () => {
    const { store } = await seededStore();
    const progress: number[] = [];
    const report = await verifyChain(store, { onProgress: (n) => progress.push(n) });
    expect(report).toMatchObject({ ok: true, events: 12, streams: 3, lastPosition: 12n });
    expect(progress.at(-1)).toBe(12);
    await store.close();
  });

  it('names exactly the event whose data changed by one byte', async () => {
    const { path, store } = await seededStore();
    // Position 8 is agent-bob's revision 2; its data reads {"amount":102,…}.
    tamper(path, (db) => {
      const data = storedData(db, 8);
      expect(data).toContain('"amount":102');
      db.prepare('UPDATE events SET data = ? WHERE position = 8').run(data.replace('102', '902'));
    });
    expect(await verifyChain(store)).toEqual({
      ok: false,
      firstBroken: { position: 8n, stream: 'agent-bob', revision: 2n, reason: 'hash_mismatch' },
      events: 7,
    });
    await store.close();
  });

  it('names an event whose data is no longer JSON at all', async () => {
    const { path, store } = await seededStore();
    tamper(path, (db) => db.prepare('UPDATE events SET data = ? WHERE position = 5').run(storedData(db, 5).slice(1)));
    expect(await verifyChain(store)).toMatchObject({
      ok: false,
      firstBroken: { position: 5n, stream: 'agent-bob', revision: 1n, reason: 'unreadable' },
    });
    await store.close();
  });

  it('catches an edit whose hash was recomputed too, at the next event of that stream', async () => {
    const { path, store } = await seededStore();
    // Position 4 is agent-alice's revision 1; the attacker edits it and re-hashes it consistently.
    tamper(path, (db) => {
      const row = db.prepare('SELECT * FROM events WHERE position = 4').safeIntegers(true).get() as EventRow;
      const dataJson = storedData(db, 4).replace('101', '1');
      const hash = eventHash({
        prevHash: row.prev_hash,
        stream: row.stream,
        revision: row.revision,
        type: row.type,
        schemaVersion: Number(row.schema_version),
        dataJson,
        metadataJson: row.metadata,
      });
      db.prepare('UPDATE events SET data = ?, hash = ? WHERE position = 4').run(dataJson, hash);
    });
    expect(await verifyChain(store)).toMatchObject({
      ok: false,
      firstBroken: { position: 7n, stream: 'agent-alice', revision: 2n, reason: 'broken_link' },
    });
    await store.close();
  });

  it('reports a deleted event in the middle of a stream as a revision gap at the next one', async () => {
    const { path, store } = await seededStore();
    tamper(path, (db) => db.prepare('DELETE FROM events WHERE position = 6').run());
    expect(await verifyChain(store)).toMatchObject({
      ok: false,
      firstBroken: { position: 9n, stream: 'session-s1', revision: 2n, reason: 'revision_gap' },
    });
    await store.close();
  });

  it('reports a prevHash that does not point at the previous event as a broken link', async () => {
    const { path, store } = await seededStore();
    tamper(path, (db) => db.prepare('UPDATE events SET prev_hash = ? WHERE position = 10').run('0'.repeat(64)));
    expect(await verifyChain(store)).toMatchObject({
      ok: false,
      firstBroken: { position: 10n, stream: 'agent-alice', revision: 3n, reason: 'broken_link' },
    });
    await store.close();
  });

  it('verifies only events after a position, linking each stream to its stored predecessor', async () => {
    const { path, store } = await seededStore();
    tamper(path, (db) =>
      db.prepare('UPDATE events SET data = ? WHERE position = 2').run(storedData(db, 2).replace('100', '999')),
    );
    expect(await verifyChain(store, { after: 6n })).toMatchObject({ ok: true, events: 6, lastPosition: 12n });
    tamper(path, (db) => db.prepare('UPDATE events SET prev_hash = ? WHERE position = 7').run('0'.repeat(64)));
    expect(await verifyChain(store, { after: 6n })).toMatchObject({
      ok: false,
      firstBroken: { position: 7n, stream: 'agent-alice', revision: 2n, reason: 'broken_link' },
    });
    await store.close();
  });
});

describe('audit digest', () => {
  it('still matches once the log has grown past the checkpoint', async () => {
    const { store } = await seededStore();
    const taken = await takeAuditCheckpoint(store);
    if (!taken.ok) throw new Error('seeded log should verify');
    await store.append('agent-carol', 'any', [charge(1)]);
    await store.append('agent-alice', 'any', [charge(2)]);
    expect(await verifyAgainstDigest(store, taken.checkpoint)).toMatchObject({ ok: true, lastPosition: 12n });
    await store.close();
  });

  it('detects a deleted stream tail that leaves every chain intact', async () => {
    const { path, store } = await seededStore();
    const taken = await takeAuditCheckpoint(store);
    if (!taken.ok) throw new Error('seeded log should verify');
    // A careful attacker deletes session-s1's last event and rewinds its head to match.
    tamper(path, (db) => {
      db.prepare('DELETE FROM events WHERE position = 12').run();
      const previous = db.prepare('SELECT revision, hash FROM events WHERE position = 9').get() as StreamHead;
      db.prepare("UPDATE streams SET revision = ?, hash = ? WHERE name = 'session-s1'").run(
        previous.revision,
        previous.hash,
      );
    });
    expect(await verifyChain(store)).toMatchObject({ ok: true, events: 11 });
    expect(await verifyAgainstDigest(store, taken.checkpoint)).toMatchObject({
      ok: false,
      digestMismatch: { position: 12n, expected: taken.checkpoint.digest },
    });
    await store.close();
  });

  it('detects a deleted stream', async () => {
    const { path, store } = await seededStore();
    const taken = await takeAuditCheckpoint(store);
    if (!taken.ok) throw new Error('seeded log should verify');
    tamper(path, (db) => {
      db.prepare("DELETE FROM events WHERE stream = 'agent-bob'").run();
      db.prepare("DELETE FROM streams WHERE name = 'agent-bob'").run();
    });
    expect(await verifyChain(store)).toMatchObject({ ok: true, streams: 2 });
    expect(await verifyAgainstDigest(store, taken.checkpoint)).toMatchObject({ ok: false, digestMismatch: {} });
    await store.close();
  });

  it('agrees with the digest of the store’s own stream heads', async () => {
    const { store } = await seededStore();
    const heads: StreamHead[] = [];
    for await (const head of store.streamHeads()) heads.push(head);
    const report = await verifyChain(store);
    expect(report).toMatchObject({ ok: true, digest: headsDigest(heads) });
    await store.close();
  });

  it('depends on every stream, revision and hash, but not on the order they are given in', () => {
    const heads: StreamHead[] = [
      { stream: 'agent-a', revision: 3n, hash: 'a'.repeat(64) },
      { stream: 'agent-b', revision: 0n, hash: 'b'.repeat(64) },
    ];
    const digest = headsDigest(heads);
    expect(headsDigest([...heads].reverse())).toBe(digest);
    expect(headsDigest([heads[0]!])).not.toBe(digest);
    expect(headsDigest([{ ...heads[0]!, revision: 2n }, heads[1]!])).not.toBe(digest);
    expect(headsDigest([{ ...heads[0]!, hash: 'c'.repeat(64) }, heads[1]!])).not.toBe(digest);
    expect(headsDigest([{ ...heads[0]!, stream: 'agent-c' }, heads[1]!])).not.toBe(digest);
  });
});
