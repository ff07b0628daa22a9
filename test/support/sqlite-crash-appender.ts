/**
 * Child process for the crash test: appends multi-event appends in a loop, forever, from several
 * concurrent workers (one stream each), and writes the ids of each append to stdout, one line per
 * append, only after its promise resolved. The parent SIGKILLs it at some point.
 *
 * argv[2]: JSON CrashAppenderConfig.
 */
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { ExpectedRevision } from '../../src/store/event-store.js';
import type { Durability } from '../../src/store/sqlite/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

export interface CrashAppenderConfig {
  readonly path: string;
  readonly durability: Durability;
  readonly round: number;
  readonly workers: number;
  readonly eventsPerAppend: number;
  readonly payloadBytes: number;
}

const config = JSON.parse(process.argv[2]!) as CrashAppenderConfig;
const store = openSqliteStore({ path: config.path, durability: config.durability });

const headOf = async (stream: string): Promise<ExpectedRevision> => {
  for await (const last of store.readStream(stream, { direction: 'backwards', maxCount: 1 })) return last.revision;
  return 'no_stream';
};

const appendForever = async (worker: number): Promise<never> => {
  const stream = `agent-crash${worker}`;
  let expected = await headOf(stream);
  for (let append = 0; ; append++) {
    const events = Array.from({ length: config.eventsPerAppend }, (_, part) => ({
      id: randomUUID(),
      type: 'CrashProbeAppended',
      schemaVersion: 1,
      data: { round: config.round, worker, append, part, payload: 'x'.repeat(config.payloadBytes) },
      metadata: { timestamp: new Date().toISOString() },
    }));
    const result = await store.append(stream, expected, events);
    if (result._tag === 'Left') throw new Error(`unexpected ${JSON.stringify(result.left, (_, v) => String(v))}`);
    // Synchronous write: once this returns, the parent will read the line even if we die next.
    writeSync(1, `${events.map((event) => event.id).join(' ')}\n`);
    expected = result.right.nextExpectedRevision;
  }
};

await Promise.all(Array.from({ length: config.workers }, (_, worker) => appendForever(worker)));
