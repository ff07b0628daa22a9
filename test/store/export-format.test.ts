import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/store/event-store.js';
import {
  decodeExportLine,
  ExportEncoder,
  type ExportFilters,
  toNewEvent,
  verifyExport,
} from '../../src/store/export-format.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { verifyChain } from '../../src/store/verify.js';

const opened: EventStore[] = [];
const memoryStore = (): EventStore => {
  const store = openSqliteStore({ path: ':memory:' });
  opened.push(store);
  return store;
};
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

const event = (type: string, data: unknown, second: number): NewEvent => ({
  type,
  schemaVersion: 1,
  data,
  metadata: { timestamp: `2026-11-25T10:00:${String(second).padStart(2, '0')}.000Z`, agent: 'alice' },
});

/** Three streams, interleaved, with data that exercises JSON's corners (escapes, unicode, numbers, key order). */
const seededStore = async (): Promise<EventStore> => {
  const store = memoryStore();
  await store.append('agent-alice', 'no_stream', [
    event('AgentRegistered', { agentId: 'alice', name: 'Alice "A." \\ Ünïcödé 🎉', permissions: ['demo'] }, 0),
  ]);
  await store.append('session-s1', 'no_stream', [event('SessionStarted', { transport: 'stdio', agent: 'alice' }, 1)]);
  await store.append('agent-alice', 0n, [event('FundsCredited', { amount: '20.000000', 10: 'x', 2: 'y' }, 2)]);
  await store.append('system-bank', 'no_stream', [event('Note', { n: 0.1, big: 1e21, tiny: 5e-7, neg: -0 }, 3)]);
  await store.append('session-s1', 0n, [
    event('RequestReceived', { requestId: 1, method: 'tools/call', params: { text: 'line\nbreak\u0001' } }, 4),
    event('RequestCompleted', { requestId: 1, durationMs: 1.25 }, 5),
  ]);
  await store.append('agent-alice', 1n, [event('ToolCallCharged', { amount: '1.500000' }, 6)]);
  return store;
};

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

const exportLines = (events: readonly RecordedEvent[], filters: ExportFilters = {}): string[] => {
  const encoder = new ExportEncoder({
    source: 'sqlite::memory:',
    exportedAt: '2026-11-25T11:00:00.000Z',
    partial: Object.keys(filters).length > 0,
    filters,
  });
  return [encoder.headerLine(), ...events.map((recorded) => encoder.eventLine(recorded)), ...encoder.finishLines()];
};

describe('the NDJSON export format', () => {
  it('round-trips: every line decodes, an import recomputes the same chain, and the heads digest is apex verify’s', async () => {
    const source = await seededStore();
    const events = await collect(source.readAll());
    const lines = exportLines(events);
    expect(lines.map((line) => JSON.parse(line).kind)).toEqual([
      'header',
      ...events.map(() => 'event'),
      'head',
      'head',
      'head',
      'trailer',
    ]);

    const report = verifyExport(lines);
    const chain = await verifyChain(source);
    expect(report).toMatchObject({ ok: true, events: events.length, streams: 3, partial: false, anchors: [] });
    expect(chain.ok && report.ok && report.headsDigest === chain.digest).toBe(true);

    const target = memoryStore();
    for (const line of lines) {
      const decoded = decodeExportLine(line);
      if (E.isLeft(decoded)) throw new Error(decoded.left);
      if (decoded.right.kind !== 'event') continue;
      const { stream, revision } = decoded.right;
      const appended = await target.append(stream, revision === 0n ? 'no_stream' : revision - 1n, [
        toNewEvent(decoded.right),
      ]);
      expect(E.isRight(appended)).toBe(true);
    }
    const copied = await collect(target.readAll());
    const envelope = ({ position: _position, ...rest }: RecordedEvent) => rest;
    expect(copied.map(envelope)).toEqual(events.map(envelope));
  });

  it('writes each line as JSON.stringify does, so the data member is the exact text that was hashed', async () => {
    const events = await collect((await seededStore()).readAll());
    const lines = exportLines(events);
    for (const line of lines) expect(JSON.stringify(JSON.parse(line))).toBe(line);
    const bank = lines.find((line) => line.includes('"system-bank"') && line.includes('"kind":"event"'))!;
    expect(bank).toContain(`"data":${JSON.stringify(events.find((e) => e.stream === 'system-bank')!.data)},`);
  });

  it('catches a change of any single byte of the header, any event line, a head line or the trailer', async () => {
    const lines = exportLines(await collect((await seededStore()).readAll()));
    expect(verifyExport(lines).ok).toBe(true);
    const lineIndexes = [0, 1, 4, lines.length - 2, lines.length - 1];
    let variants = 0;
    for (const index of lineIndexes) {
      const original = lines[index]!;
      for (let at = 0; at < original.length; at++) {
        for (const replacement of ['x', '1']) {
          const char = original[at] === replacement ? 'y' : replacement;
          const tampered = [...lines];
          tampered[index] = original.slice(0, at) + char + original.slice(at + 1);
          const report = verifyExport(tampered);
          if (report.ok) throw new Error(`undetected: line ${index + 1}, byte ${at} → ${char}: ${tampered[index]}`);
          variants += 1;
        }
      }
    }
    expect(variants).toBeGreaterThan(1000);
  });

  it('names the event whose data was changed and its hash left alone (hash_mismatch)', async () => {
    const lines = exportLines(await collect((await seededStore()).readAll()));
    const index = lines.findIndex((line) => line.includes('"ToolCallCharged"'));
    const tampered = [...lines];
    tampered[index] = lines[index]!.replace('1.500000', '0.500000');
    const report = verifyExport(tampered);
    expect(report).toMatchObject({
      ok: false,
      line: index + 1,
      problem: 'hash_mismatch',
      event: { stream: 'agent-alice', revision: '2' },
    });
  });

  it('refuses a file cut before its trailer, a removed event, and a full export starting a stream past 0', async () => {
    const lines = exportLines(await collect((await seededStore()).readAll()));
    expect(verifyExport(lines.slice(0, -1))).toMatchObject({ ok: false, problem: 'truncated' });
    const withoutCredit = lines.filter((line) => !line.includes('"FundsCredited"'));
    expect(verifyExport(withoutCredit)).toMatchObject({ ok: false, problem: 'revision_gap' });
    const withoutFirst = lines.filter((line) => !line.includes('"AgentRegistered"'));
    expect(verifyExport(withoutFirst)).toMatchObject({ ok: false, problem: 'revision_gap', line: 3 });
    expect(verifyExport([...lines, 'more'])).toMatchObject({ ok: false, problem: 'out_of_place' });
    expect(verifyExport([...lines, ''])).toMatchObject({ ok: true });
  });

  it('verifies a partial export by its anchors: the hash of the event just before each stream’s slice', async () => {
    const store = await seededStore();
    const events = await collect(store.readAll());
    // A time range: from 10:00:03 on, i.e. alice's ledger from revision 2 and the session from revision 1.
    const slice = events.filter((recorded) => recorded.metadata.timestamp >= '2026-11-25T10:00:03.000Z');
    const report = verifyExport(exportLines(slice, { since: '2026-11-25T10:00:03Z' }));
    const eventAt = (stream: string, revision: bigint) =>
      events.find((recorded) => recorded.stream === stream && recorded.revision === revision)!;
    expect(report).toMatchObject({ ok: true, partial: true, events: slice.length });
    expect(report.ok && report.anchors).toEqual([
      { stream: 'agent-alice', revision: 1n, hash: eventAt('agent-alice', 1n).hash },
      { stream: 'session-s1', revision: 0n, hash: eventAt('session-s1', 0n).hash },
    ]);

    // One agent's ledger alone, also checked as a chain.
    const ledger = events.filter((recorded) => recorded.stream === 'agent-alice' && recorded.revision >= 1n);
    const ledgerReport = verifyExport(exportLines(ledger, { streams: ['agent-alice'] }));
    expect(ledgerReport).toMatchObject({ ok: true, streams: 1, anchors: [{ stream: 'agent-alice', revision: 0n }] });

    // A slice with a hole in it is not a chain.
    const holed = events.filter((recorded) => recorded.stream === 'agent-alice' && recorded.revision !== 1n);
    expect(verifyExport(exportLines(holed, { streams: ['agent-alice'] }))).toMatchObject({
      ok: false,
      problem: 'revision_gap',
    });
  });

  it('refuses another format version or hash rule, naming it', async () => {
    const lines = exportLines(await collect((await seededStore()).readAll()));
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    const other = [JSON.stringify({ ...header, hashRule: 'apex-chain-v2' }), ...lines.slice(1)];
    const report = verifyExport(other);
    expect(report).toMatchObject({ ok: false, problem: 'unsupported', line: 1 });
    expect(!report.ok && report.detail).toContain('apex-chain-v2');
  });
});
