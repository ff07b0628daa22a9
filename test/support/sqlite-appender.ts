/**
 * Child process for the multi-process test: several concurrent workers append to streams shared
 * with another process, retrying on WrongExpectedVersion with the actual revision.
 *
 * argv[2]: JSON AppenderConfig. Protocol on stdout, one JSON object per line:
 *   { "waiting": true }                     after the first append; then waits for a line on stdin
 *   { "acknowledged": [ids], "retries": n }  when done
 */
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ExpectedRevision } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

export interface AppenderConfig {
  readonly path: string;
  readonly writer: string;
  readonly streams: readonly string[];
  readonly workers: number;
  readonly appendsPerWorker: number;
}

const config = JSON.parse(process.argv[2]!) as AppenderConfig;
const store = openSqliteStore({ path: config.path });
const say = (message: object): void => {
  writeSync(1, `${JSON.stringify(message)}\n`);
};

const acknowledged: string[] = [];
let retries = 0;

const appendWithRetry = async (stream: string, seq: number): Promise<void> => {
  const id = randomUUID();
  let expected: ExpectedRevision = 'no_stream';
  for (;;) {
    const result = await store.append(stream, expected, [
      {
        id,
        type: 'ProbeAppended',
        schemaVersion: 1,
        data: { writer: config.writer, seq },
        metadata: { timestamp: new Date().toISOString(), agent: config.writer },
      },
    ]);
    if (result._tag === 'Right') {
      acknowledged.push(id);
      return;
    }
    retries += 1;
    expected = result.left.actual;
  }
};

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

await appendWithRetry(config.streams[0]!, 0);
say({ waiting: true });
await lines.next();

await Promise.all(
  Array.from({ length: config.workers }, async (_, worker) => {
    for (let round = 0; round < config.appendsPerWorker; round++) {
      const seq = 1 + worker * config.appendsPerWorker + round;
      await appendWithRetry(config.streams[(round + worker) % config.streams.length]!, seq);
    }
  }),
);

await store.close();
say({ acknowledged, retries });
process.exit(0);
