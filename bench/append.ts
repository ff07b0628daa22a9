/**
 * Append throughput of the SQLite event store: one appender awaiting each append (every event its
 * own commit) versus 16 and 64 concurrent appenders sharing group commits, at both durability levels.
 *
 *   npx tsx bench/append.ts            (BENCH_DIR=… to put the database on another disk)
 *   BENCH_WRITERS=thread npx tsx bench/append.ts   (only one writer: thread, inline, or both: the default)
 *
 * Each row is measured with the commits on the store's writer thread ('thread', the default for a
 * file) and on the caller's thread ('inline'). CPU per event counts every thread of the process;
 * "main CPU" is the share of this thread's time spent busy (event-loop utilization).
 *
 * Each appender owns a stream and appends one ~300-byte event at a time with its exact expected
 * revision, as a request handler would. Not a test: figures depend on the machine and its disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Durability } from '../src/store/sqlite/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { StoreWriter } from '../src/store/sqlite/sqlite-event-store.js';
import { benchEvent, percentile } from './support/append-shapes.js';

const MEASURE_MS = 2_000;
const WARM_UP_MS = 300;
/** Appenders, and the streams they share: each its own stream (exact revisions), or 4 shared ones ('any'). */
const SHAPES: ReadonlyArray<{ readonly appenders: number; readonly sharedStreams?: number }> = [
  { appenders: 1 },
  { appenders: 16 },
  { appenders: 64 },
  { appenders: 64, sharedStreams: 4 },
];
const DURABILITIES: readonly Durability[] = ['durable', 'normal'];
const WRITERS = (process.env.BENCH_WRITERS ?? 'thread,inline').split(',') as StoreWriter[];

/** About 300 bytes once data and metadata are serialized, like a ToolCallCharged event. */

interface Measurement {
  readonly durability: Durability;
  readonly writer: StoreWriter;
  readonly mainBusy: number;
  readonly appenders: number;
  readonly streams: number;
  readonly eventsPerSecond: number;
  readonly commitsPerSecond: number;
  readonly eventsPerCommit: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** User + system CPU of this process per event: robust to other load on the machine, unlike events/s. */
  readonly cpuMicrosPerEvent: number;
}

const measure = async (
  dir: string,
  durability: Durability,
  writer: StoreWriter,
  appenders: number,
  sharedStreams: number | undefined,
): Promise<Measurement> => {
  const path = join(dir, `append-${writer}-${durability}-${appenders}-${sharedStreams ?? 'own'}.db`);
  let commits = 0;
  let counting = false;
  const store = openSqliteStore({
    path,
    durability,
    writer,
    onBatchCommitted: () => {
      if (counting) commits += 1;
    },
  });
  let events = 0;
  const latenciesMs: number[] = [];
  const warmUpEnds = performance.now() + WARM_UP_MS;
  const ends = warmUpEnds + MEASURE_MS;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let eluAtStart: ReturnType<typeof performance.eventLoopUtilization> | undefined;

  await Promise.all(
    Array.from({ length: appenders }, async (_, appender) => {
      const stream = `bench-a${sharedStreams === undefined ? appender : appender % sharedStreams}`;
      let expected: bigint | 'no_stream' | 'any' = sharedStreams === undefined ? 'no_stream' : 'any';
      for (let seq = 0; ; seq++) {
        const started = performance.now();
        if (started >= ends) return;
        const result = await store.append(stream, expected, [benchEvent(appender, seq)]);
        if (result._tag === 'Left') throw new Error(`unexpected conflict on ${stream}`);
        if (sharedStreams === undefined) expected = result.right.nextExpectedRevision;
        if (started >= warmUpEnds) {
          cpuAtStart ??= process.cpuUsage();
          eluAtStart ??= performance.eventLoopUtilization();
          counting = true;
          events += 1;
          latenciesMs.push(performance.now() - started);
        }
      }
    }),
  );
  const cpu = process.cpuUsage(cpuAtStart);
  const elu = performance.eventLoopUtilization(eluAtStart);
  await store.close();

  const seconds = MEASURE_MS / 1_000;
  latenciesMs.sort((a, b) => a - b);
  return {
    durability,
    writer,
    mainBusy: elu.utilization,
    appenders,
    streams: sharedStreams ?? appenders,
    eventsPerSecond: events / seconds,
    commitsPerSecond: commits / seconds,
    eventsPerCommit: commits === 0 ? 0 : events / commits,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    cpuMicrosPerEvent: (cpu.user + cpu.system) / events,
  };
};

const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'apex-bench-append-'));
try {
  const [load1] = loadavg();
  console.log(`SQLite event store append benchmark: ${MEASURE_MS} ms per row, database in ${dir}`);
  console.log(`${cpus().length} CPUs, load average ${load1?.toFixed(2)} at start (other load lowers events/s)`);
  console.log(
    row([
      'durability',
      'writer',
      'appenders',
      'streams',
      'events/s',
      'commits/s',
      'events/commit',
      'p50 ms',
      'p99 ms',
      'CPU µs/event',
      'main busy',
    ]),
  );
  console.log(row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const durability of DURABILITIES) {
    for (const { appenders, sharedStreams } of SHAPES) {
      for (const writer of WRITERS) {
        const m = await measure(dir, durability, writer, appenders, sharedStreams);
        console.log(
          row([
            m.durability,
            m.writer,
            appenders === 1 ? '1 (one at a time)' : String(appenders),
            String(m.streams),
            thousands(m.eventsPerSecond),
            thousands(m.commitsPerSecond),
            m.eventsPerCommit.toFixed(1),
            m.p50Ms.toFixed(2),
            m.p99Ms.toFixed(2),
            m.cpuMicrosPerEvent.toFixed(1),
            `${Math.round(m.mainBusy * 100)}%`,
          ]),
        );
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
