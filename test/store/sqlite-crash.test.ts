import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent, StreamHead } from '../../src/store/event-store.js';
import type { Durability } from '../../src/store/sqlite/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { verifyChain } from '../../src/store/verify.js';
import { childExit, killRunningChildren, onStdoutLine, spawnTsChild } from '../support/sqlite-child.js';
import type { CrashAppenderConfig } from '../support/sqlite-crash-appender.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('crash');

const WORKERS = 4;
const EVENTS_PER_APPEND = 3;
const PAYLOAD_BYTES = 2_000;
/** Acknowledged appends to wait for before the kill, so the kill lands mid-run, not at start-up. */
const ACKNOWLEDGED_BEFORE_KILL = 150;

interface ProbeData {
  readonly round: number;
  readonly worker: number;
  readonly append: number;
  readonly part: number;
  readonly payload: string;
}

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
};

/** Runs the appender child until it has acknowledged enough appends, then SIGKILLs it. */
const appendUntilKilled = async (path: string, round: number, durability: Durability): Promise<string[][]> => {
  const config: CrashAppenderConfig = {
    path,
    durability,
    round,
    workers: WORKERS,
    eventsPerAppend: EVENTS_PER_APPEND,
    payloadBytes: PAYLOAD_BYTES,
  };
  const child = spawnTsChild('test/support/sqlite-crash-appender.ts', config);
  const exit = childExit(child);
  const acknowledged: string[][] = [];
  onStdoutLine(child, (line) => {
    acknowledged.push(line.split(' '));
    if (acknowledged.length === ACKNOWLEDGED_BEFORE_KILL) child.kill('SIGKILL');
  });
  const { signal, stderr } = await exit;
  expect(signal, stderr).toBe('SIGKILL');
  return acknowledged;
};

describe('sqlite event store after a process crash', () => {
  afterEach(killRunningChildren);

  it('keeps every acknowledged append, whole, with every chain intact', async () => {
    const path = temp.file();
    const acknowledgedAppends: string[][] = [];

    for (const [round, durability] of [
      [1, 'normal'],
      [2, 'durable'],
    ] as const) {
      acknowledgedAppends.push(...(await appendUntilKilled(path, round, durability)));

      const store = openSqliteStore({ path });
      const events = await collect(store.readAll());
      const storedIds = new Set(events.map((event) => event.id));
      const lost = acknowledgedAppends.flat().filter((id) => !storedIds.has(id));
      expect(lost, `round ${round}: acknowledged but missing`).toEqual([]);

      // No torn append: every append is stored with all its events, parts in order, payloads whole.
      const appends = new Map<string, RecordedEvent[]>();
      for (const event of events) {
        const data = event.data as ProbeData;
        const key = `${data.round}/${data.worker}/${data.append}`;
        appends.set(key, [...(appends.get(key) ?? []), event]);
      }
      for (const [key, parts] of appends) {
        expect(
          parts.map((event) => (event.data as ProbeData).part),
          key,
        ).toEqual(Array.from({ length: EVENTS_PER_APPEND }, (_, part) => part));
        expect(parts.every((event) => (event.data as ProbeData).payload.length === PAYLOAD_BYTES)).toBe(true);
      }

      expect(await verifyChain(store)).toMatchObject({ ok: true, events: events.length, streams: WORKERS });
      // The heads table committed atomically with the events it points at.
      const heads = await collect(store.streamHeads());
      const lastOfEachStream = new Map<string, StreamHead>();
      for (const event of events)
        lastOfEachStream.set(event.stream, { stream: event.stream, revision: event.revision, hash: event.hash });
      expect(heads).toEqual([...lastOfEachStream.values()].sort((a, b) => (a.stream < b.stream ? -1 : 1)));
      await store.close();
    }
  });
});
