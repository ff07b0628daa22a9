import { firstValueFrom, takeWhile, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { verifyChain } from '../../src/store/verify.js';
import type { AppenderConfig } from '../support/sqlite-appender.js';
import { childExit, killRunningChildren, onStdoutLine, spawnTsChild } from '../support/sqlite-child.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('multiprocess');

const WRITERS = ['writer1', 'writer2'];
const STREAMS = ['agent-shared1', 'agent-shared2'];
const WORKERS_PER_WRITER = 4;
const APPENDS_PER_WORKER = 40;
const EVENTS_PER_WRITER = 1 + WORKERS_PER_WRITER * APPENDS_PER_WORKER;

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
};

describe('sqlite event store shared by several processes', () => {
  afterEach(killRunningChildren);

  it('loses and duplicates nothing under contention, keeps every chain, and feeds a live subscriber in order', async () => {
    const path = temp.file();
    const observer = openSqliteStore({ path });
    const seenLive = new Map<string, () => void>();
    const received = firstValueFrom(
      observer.subscribeAll().pipe(
        takeWhile((event: RecordedEvent) => {
          // Each writer pauses after its first append until this subscriber has seen it: proof that
          // another process's commit reaches a live subscription without any append from this one.
          seenLive.get((event.data as { writer?: string }).writer ?? '')?.();
          return event.type !== 'EndOfTest';
        }, true),
        toArray(),
      ),
    );

    const outcomes = WRITERS.map((writer) => {
      const config: AppenderConfig = {
        path,
        writer,
        streams: STREAMS,
        workers: WORKERS_PER_WRITER,
        appendsPerWorker: APPENDS_PER_WORKER,
      };
      const child = spawnTsChild('test/support/sqlite-appender.ts', config);
      const exit = childExit(child);
      let released = false;
      seenLive.set(writer, () => {
        if (released) return;
        released = true;
        child.stdin.write('go\n');
      });
      const report = new Promise<{ acknowledged: string[]; retries: number }>((resolve) =>
        onStdoutLine(child, (line) => {
          const message = JSON.parse(line) as { acknowledged?: string[]; retries: number };
          if (message.acknowledged !== undefined)
            resolve({ acknowledged: message.acknowledged, retries: message.retries });
        }),
      );
      return { exit, report };
    });

    const exits = await Promise.all(outcomes.map((outcome) => outcome.exit));
    for (const exit of exits) expect(exit, exit.stderr).toMatchObject({ code: 0 });
    const reports = await Promise.all(outcomes.map((outcome) => outcome.report));

    await observer.append('agent-observer', 'no_stream', [
      { type: 'EndOfTest', schemaVersion: 1, data: {}, metadata: { timestamp: new Date().toISOString() } },
    ]);
    const live = (await received).filter((event) => event.type !== 'EndOfTest');
    const stored = (await collect(observer.readAll())).filter((event) => event.type !== 'EndOfTest');

    const acknowledged = reports.flatMap((report) => report.acknowledged);
    expect(acknowledged).toHaveLength(WRITERS.length * EVENTS_PER_WRITER);
    expect(new Set(acknowledged).size).toBe(acknowledged.length);
    expect(stored.map((event) => event.id).sort()).toEqual([...acknowledged].sort());
    expect(live.map((event) => event.id)).toEqual(stored.map((event) => event.id));
    // Workers of one writer race for the same stream heads, so contention really happened.
    expect(reports.every((report) => report.retries > 0)).toBe(true);

    for (const stream of STREAMS) {
      const revisions = stored.filter((event) => event.stream === stream).map((event) => event.revision);
      expect(revisions).toEqual(revisions.map((_, index) => BigInt(index)));
    }
    expect(await verifyChain(observer)).toMatchObject({ ok: true, events: stored.length + 1 });
    await observer.close();
  });
});
