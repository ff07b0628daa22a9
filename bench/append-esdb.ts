/**
 * Append throughput of the EventStoreDB adapter through the real @eventstore/db-client against the
 * gRPC PROTOCOL FAKE (not EventStoreDB: an in-memory log, no disk), beside the SQLite store with the
 * same shapes as bench/append.ts. Not a test: figures depend on the machine.
 *
 *   npx tsx bench/append-esdb.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EventStore } from '../src/store/event-store.js';
import { openEventStoreDbStore } from '../src/store/eventstoredb/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { startEsdbProtocolFake } from '../test/support/esdb-protocol-fake/index.js';
import { benchEvent, percentile } from './support/append-shapes.js';

const MEASURE_MS = Number(process.env.MEASURE_MS ?? 2_000);
const WARM_UP_MS = 300;
const SHAPES = [{ appenders: 1 }, { appenders: 16 }, { appenders: 64 }, { appenders: 64, sharedStreams: 4 }] as const;

const measure = async (store: EventStore, appenders: number, sharedStreams: number | undefined, tag: string) => {
  let events = 0;
  let conflicts = 0;
  const latencies: number[] = [];
  const warmUpEnds = performance.now() + WARM_UP_MS;
  const ends = warmUpEnds + MEASURE_MS;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  await Promise.all(
    Array.from({ length: appenders }, async (_, appender) => {
      const stream = `bench${tag}-a${sharedStreams === undefined ? appender : appender % sharedStreams}`;
      let expected: bigint | 'no_stream' | 'any' = sharedStreams === undefined ? 'no_stream' : 'any';
      for (let seq = 0; ; seq++) {
        const started = performance.now();
        if (started >= ends) return;
        const result = await store.append(stream, expected, [benchEvent(appender, seq)]);
        if (result._tag === 'Left') {
          conflicts += 1;
          continue;
        }
        if (sharedStreams === undefined) expected = result.right.nextExpectedRevision;
        if (started >= warmUpEnds) {
          cpuAtStart ??= process.cpuUsage();
          events += 1;
          latencies.push(performance.now() - started);
        }
      }
    }),
  );
  const cpu = process.cpuUsage(cpuAtStart);
  latencies.sort((a, b) => a - b);
  return {
    eventsPerSecond: events / (MEASURE_MS / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMicrosPerEvent: (cpu.user + cpu.system) / events,
    conflicts,
  };
};

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

const startFakeProcess = async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./support/esdb-protocol-fake-server.ts', import.meta.url))],
    {
      cwd: '/work/main',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = await createInterface({ input: child.stdout! })
    [Symbol.asyncIterator]()
    .next()
    .then((r) => [r.value as string]);
  return {
    port: Number(line),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};

const engines: { name: string; open: () => Promise<{ store: EventStore; close: () => Promise<void> }> }[] = [
  {
    name: 'SQLite durable',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'apex-bench-esdb-'));
      const store = openSqliteStore({ path: join(dir, 'e.db'), durability: 'durable' });
      return {
        store,
        close: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'SQLite normal',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'apex-bench-esdb-'));
      const store = openSqliteStore({ path: join(dir, 'e.db'), durability: 'normal' });
      return {
        store,
        close: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'ESDB adapter → protocol fake, same process',
    open: async () => {
      const fake = await startEsdbProtocolFake();
      const store = openEventStoreDbStore(fake.connectionString);
      return {
        store,
        close: async () => {
          await store.close();
          await fake.stop();
        },
      };
    },
  },
  {
    name: 'ESDB adapter → protocol fake, own process',
    open: async () => {
      const fake = await startFakeProcess();
      const store = openEventStoreDbStore(`esdb://127.0.0.1:${fake.port}?tls=false`);
      return {
        store,
        close: async () => {
          await store.close();
          await fake.stop();
        },
      };
    },
  },
];

console.log(
  `Append benchmark, ${MEASURE_MS} ms per row; ${cpus().length} CPUs (${cpus()[0]?.model}), load ${loadavg()[0]?.toFixed(2)}, node ${process.version}`,
);
console.log(row(['engine', 'appenders', 'streams', 'events/s', 'p50 ms', 'p99 ms', 'client CPU µs/event']));
console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---:']));
let tag = 0;
for (const engine of engines) {
  for (const shape of SHAPES) {
    const shared = 'sharedStreams' in shape ? shape.sharedStreams : undefined;
    const { store, close } = await engine.open();
    const m = await measure(store, shape.appenders, shared, String(tag++));
    await close();
    console.log(
      row([
        engine.name,
        shape.appenders === 1 ? '1 (one at a time)' : String(shape.appenders),
        String(shared ?? shape.appenders),
        thousands(m.eventsPerSecond),
        m.p50.toFixed(2),
        m.p99.toFixed(2),
        m.cpuMicrosPerEvent.toFixed(1),
      ]),
    );
  }
}
console.log(`load at end ${loadavg()[0]?.toFixed(2)}`);
