/**
 * What a load benchmark needs to run APEX: a configuration with one funded agent, and, after the
 * child exited, a count of the events it recorded (the SQLite file opened read-only).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The agent every load benchmark acts for. */
export const BENCH_AGENT = 'bench';

export interface RecordedEvents {
  readonly total: number;
  /** Characters stored in the rows' `data` and `metadata` columns (JSON, ASCII here: about bytes). */
  readonly payloadChars: number;
  /** Count by event type, most frequent first. */
  readonly byType: ReadonlyArray<{ readonly type: string; readonly count: number }>;
}

/**
 * Writes `<dir>/apex.config.json`: the example configuration (demo toolset) with one agent,
 * `bench`, whose balance never runs out; `agentSettings` are merged into that agent (for HTTP:
 * rate limits high enough not to be what is measured). Returns the file's path.
 */
export const writeApexConfig = (root: string, dir: string, agentSettings: Record<string, unknown> = {}): string => {
  const example = JSON.parse(readFileSync(join(root, 'examples/apex.config.json'), 'utf8')) as {
    agents?: Record<string, Record<string, unknown>>;
  };
  const base = example.agents?.alice ?? {};
  const config = {
    ...example,
    agents: {
      [BENCH_AGENT]: {
        ...base,
        name: 'Load benchmark',
        balance: '1000000000',
        debtLimit: '0',
        permissions: ['demo'],
        ...agentSettings,
      },
    },
  };
  const path = join(dir, 'apex.config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
};

/** Rows of the `events` table, in total (with their payload's size) and by type. Call after the APEX child exited. */
export const countEvents = (dbPath: string): RecordedEvents => {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const totals = db
      .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(data) + LENGTH(metadata)), 0) AS chars FROM events')
      .get() as { n: number | bigint; chars: number | bigint };
    const byType = (
      db.prepare('SELECT type, COUNT(*) AS count FROM events GROUP BY type ORDER BY count DESC, type').all() as Array<{
        type: string;
        count: number | bigint;
      }>
    ).map((row) => ({ type: row.type, count: Number(row.count) }));
    return { total: Number(totals.n), payloadChars: Number(totals.chars), byType };
  } finally {
    db.close();
  }
};
