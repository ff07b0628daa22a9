import type Database from 'better-sqlite3';

/** One row of `events`, as better-sqlite3 returns it with safe integers on. */
export interface EventRow {
  readonly position: bigint;
  readonly id: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly type: string;
  readonly schema_version: bigint;
  readonly data: string;
  readonly metadata: string;
  readonly prev_hash: string;
  readonly hash: string;
}

export interface StreamHeadRow {
  readonly revision: bigint;
  readonly hash: string;
}

export interface StreamHeadWithNameRow extends StreamHeadRow {
  readonly name: string;
}

export interface StoredEventLocation {
  readonly stream: string;
  readonly revision: bigint;
  readonly position: bigint;
}

const EVENT_COLUMNS = 'position, id, stream, revision, type, schema_version, data, metadata, prev_hash, hash';

/** Every statement the store runs, prepared once per connection. */
export const prepareStatements = (db: Database.Database) => ({
  insertEvent: db.prepare<[string, string, bigint, string, number, string, string, string, string]>(
    `INSERT INTO events (id, stream, revision, type, schema_version, data, metadata, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  upsertStreamHead: db.prepare<[string, bigint, string]>(
    `INSERT INTO streams (name, revision, hash) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, hash = excluded.hash`,
  ),
  streamHead: db.prepare<[string], StreamHeadRow>('SELECT revision, hash FROM streams WHERE name = ?'),
  eventLocationById: db.prepare<[string], StoredEventLocation>(
    'SELECT stream, revision, position FROM events WHERE id = ?',
  ),
  readAllAfter: db.prepare<[bigint, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  ),
  readStreamForwards: db.prepare<[string, bigint, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
  ),
  readStreamBackwards: db.prepare<[string, bigint, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
  ),
  streamHeadsAfter: db.prepare<[string, number], StreamHeadWithNameRow>(
    'SELECT name, revision, hash FROM streams WHERE name > ? ORDER BY name LIMIT ?',
  ),
  headPosition: db.prepare<[], { readonly head: bigint | null }>('SELECT MAX(position) AS head FROM events'),
});

export type Statements = ReturnType<typeof prepareStatements>;
