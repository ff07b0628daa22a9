/**
 * Projection checkpoints in a SQLite file of their own, beside the event store (for
 * `sqlite:./apex-data/events.db`, `./apex-data/events.checkpoints.db`): the events file stays
 * the audit record alone, with its own schema version, and never waits on a checkpoint write;
 * a checkpoints file is derived data, safe to delete (projections then rebuild from position 0),
 * and works the same when the events live in EventStoreDB.
 */
import Database from 'better-sqlite3';
import type { Checkpoint, CheckpointStore } from '../../projections/checkpoint-store.js';
import { DEFAULT_BUSY_TIMEOUT_MS } from './schema.js';

/** Schema version of a checkpoints file, in its `user_version`. */
export const CHECKPOINT_SCHEMA_VERSION = 1;

const CHECKPOINT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS checkpoints (
    name       TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    state_json TEXT    NOT NULL,
    saved_at   TEXT    NOT NULL
  );
`;

export interface StoredCheckpoint extends Checkpoint {
  readonly name: string;
  /** ISO-8601 time of the save. */
  readonly savedAt: string;
}

export interface SqliteCheckpointStore extends CheckpointStore {
  /** Every checkpoint, by name. */
  list(): Promise<StoredCheckpoint[]>;
  close(): void;
}

export class NotACheckpointFile extends Error {
  override readonly name = 'NotACheckpointFile';
}

interface CheckpointRow {
  readonly name: string;
  readonly position: bigint;
  readonly state_json: string;
  readonly saved_at: string;
}

const hasTable = (db: Database.Database, table: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;

const migrate = (db: Database.Database): void => {
  db.transaction(() => {
    // An event store's file has its own schema in user_version; checkpoints never go into it.
    if (hasTable(db, 'events')) {
      throw new NotACheckpointFile(`${db.name} is an event store; checkpoints live in a file of their own`);
    }
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > CHECKPOINT_SCHEMA_VERSION) {
      throw new NotACheckpointFile(
        `checkpoint file schema version ${version} is newer than this APEX supports (${CHECKPOINT_SCHEMA_VERSION})`,
      );
    }
    if (version < CHECKPOINT_SCHEMA_VERSION) {
      db.exec(CHECKPOINT_SCHEMA);
      db.pragma(`user_version = ${CHECKPOINT_SCHEMA_VERSION}`);
    }
  }).immediate();
};

/**
 * Opens (creating if needed) a checkpoints file, or ':memory:'. Writes are synchronous=NORMAL:
 * losing the last checkpoint on power loss only means folding a few more events at start.
 */
export const openSqliteCheckpointStore = (path: string): SqliteCheckpointStore => {
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.defaultSafeIntegers(true);
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const select = db.prepare<[string], CheckpointRow>(
    'SELECT name, position, state_json, saved_at FROM checkpoints WHERE name = ?',
  );
  const selectAll = db.prepare<[], CheckpointRow>(
    'SELECT name, position, state_json, saved_at FROM checkpoints ORDER BY name',
  );
  const upsert = db.prepare<[string, bigint, string, string]>(
    `INSERT INTO checkpoints (name, position, state_json, saved_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET position = excluded.position, state_json = excluded.state_json,
       saved_at = excluded.saved_at`,
  );
  const toStored = (row: CheckpointRow): StoredCheckpoint => ({
    name: row.name,
    position: row.position,
    stateJson: row.state_json,
    savedAt: row.saved_at,
  });

  return {
    load: async (name) => {
      const row = select.get(name);
      return row === undefined ? undefined : { position: row.position, stateJson: row.state_json };
    },
    save: async (name, position, stateJson) => {
      upsert.run(name, position, stateJson, new Date().toISOString());
    },
    list: async () => selectAll.all().map(toStored),
    close: () => {
      if (db.open) db.close();
    },
  };
};
