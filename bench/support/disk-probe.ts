/**
 * How fast the disk under a directory makes one SQLite commit durable (WAL, synchronous=FULL:
 * one fsync per commit), the floor under every durable request. Printed with the load figures
 * because on a shared machine it moves by an order of magnitude from one minute to the next.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface DiskProbe {
  readonly commits: number;
  readonly commitsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export const probeDurableCommits = (parent: string, commits = 200): DiskProbe => {
  const dir = mkdtempSync(join(parent, 'apex-disk-probe-'));
  const db = new Database(join(dir, 'probe.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (payload) VALUES (?)');
    const commit = db.transaction((payload: string) => insert.run(payload));
    const payload = 'x'.repeat(400);
    const latencies = new Float64Array(commits);
    const started = process.hrtime.bigint();
    for (let i = 0; i < commits; i++) {
      const t = process.hrtime.bigint();
      commit(payload);
      latencies[i] = Number(process.hrtime.bigint() - t) / 1e6;
    }
    const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
    latencies.sort();
    return {
      commits,
      commitsPerSecond: (commits * 1000) / totalMs,
      p50Ms: latencies[Math.ceil(0.5 * commits) - 1]!,
      p99Ms: latencies[Math.ceil(0.99 * commits) - 1]!,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
