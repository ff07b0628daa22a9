import Database from 'better-sqlite3';
import type { Either } from 'fp-ts/lib/Either.js';
import type { Observable } from 'rxjs';
import type {
  AppendError,
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamHead,
} from '../event-store.js';
import type { BatchCommitted } from './group-commit.js';
import { GroupCommitter } from './group-commit.js';
import { DEFAULT_LIVE_POLL_INTERVAL_MS, LiveFeed } from './live-feed.js';
import { rowToEvent } from './row-to-event.js';
import type { Durability } from './schema.js';
import { configureConnection, DEFAULT_BUSY_TIMEOUT_MS, migrate } from './schema.js';
import type { EventRow, Statements } from './statements.js';
import { prepareStatements } from './statements.js';
import { ThreadCommitter } from './thread-committer.js';
import { type PreparedAppend, prepareAppend } from './validate-append.js';
import { WalSync } from './wal-sync.js';

/** Rows per read; reads page through the table and never hold more than this in memory. */
export const DEFAULT_READ_PAGE_SIZE = 1_000;

const LAST_REVISION = 2n ** 63n - 1n;

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for a store private to this connection. */
  readonly path: string;
  /** Default 'durable' (fsync per commit). See Durability. */
  readonly durability?: Durability;
  /** How long to wait for another process's write lock; default DEFAULT_BUSY_TIMEOUT_MS. */
  readonly busyTimeoutMs?: number;
  /** Rows per read page; default DEFAULT_READ_PAGE_SIZE. */
  readonly readPageSize?: number;
  /** Interval at which subscriptions look for other processes' commits; default 25 ms. */
  readonly livePollIntervalMs?: number;
  /** Called after each group commit, e.g. for metrics. Must not throw. */
  readonly onBatchCommitted?: (batch: BatchCommitted) => void;
  /**
   * Where commits run. 'inline' (the default): on the caller's thread (always so for ':memory:',
   * which one connection owns). 'thread': a writer thread of their own hashes, inserts, commits and
   * waits for the disk, so the caller's thread only serializes events (ADR 0012).
   */
  readonly writer?: StoreWriter;
}

export type StoreWriter = 'thread' | 'inline';

/** The committer's face the store uses, whichever thread commits. */
interface Committer {
  enqueue(append: PreparedAppend): Promise<Either<AppendError, AppendResult>>;
  close(): Promise<void>;
}

export class EventStoreClosed extends Error {
  override readonly name = 'EventStoreClosed';
}

/** Yields rows page by page, reading the next page only when the consumer asks for more. */
async function* pageThrough(
  readPage: (limit: number, afterLast: EventRow | undefined) => EventRow[],
  pageSize: number,
  maxCount: number,
): AsyncGenerator<RecordedEvent> {
  let remaining = maxCount;
  let last: EventRow | undefined;
  while (remaining > 0) {
    const limit = Math.min(pageSize, remaining);
    const page = readPage(limit, last);
    for (const row of page) yield rowToEvent(row);
    if (page.length < limit) return;
    remaining -= page.length;
    last = page[page.length - 1];
  }
}

const countLimit = (maxCount: number | undefined): number => {
  if (maxCount === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) throw new RangeError(`maxCount must be a non-negative integer`);
  return maxCount;
};

const isInMemory = (path: string): boolean => path === ':memory:' || path === '' || path.startsWith('file::memory:');

/** Commits on this thread; with a WalSync, each commit is acknowledged after an fdatasync off the event loop. */
const inlineCommitter = (
  db: Database.Database,
  statements: Statements,
  afterCommit: (batch: BatchCommitted) => void,
  walSync: WalSync | undefined,
): Committer => {
  const committer = new GroupCommitter(
    db,
    statements,
    afterCommit,
    walSync === undefined ? undefined : () => walSync.sync(),
  );
  return {
    enqueue: (append) => committer.enqueue(append),
    close: async () => {
      committer.drain();
      await walSync?.close();
    },
  };
};

/** Opens (creating if needed) an event store in one SQLite file that several processes may share. */
export const openSqliteStore = (options: SqliteStoreOptions): EventStore => {
  const pageSize = options.readPageSize ?? DEFAULT_READ_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError('readPageSize must be a positive integer');

  const db = new Database(options.path);
  let statements: Statements;
  try {
    configureConnection(db, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    migrate(db);
    statements = prepareStatements(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const readEventsAfter = (after: bigint, limit: number): RecordedEvent[] =>
    statements.readAllAfter.all(after, limit).map(rowToEvent);
  const liveFeed = new LiveFeed(readEventsAfter, pageSize, options.livePollIntervalMs ?? DEFAULT_LIVE_POLL_INTERVAL_MS);
  const durable = (options.durability ?? 'durable') === 'durable' && !isInMemory(options.path);
  const afterCommit = (batch: BatchCommitted): void => {
    liveFeed.wake();
    options.onBatchCommitted?.(batch);
  };
  const committer: Committer =
    options.writer === 'thread' && !isInMemory(options.path)
      ? new ThreadCommitter(
          { path: options.path, busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, durable },
          afterCommit,
        )
      : inlineCommitter(db, statements, afterCommit, durable ? new WalSync(`${options.path}-wal`) : undefined);
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new EventStoreClosed('the event store is closed');
  };

  return {
    append(
      stream: string,
      expected: ExpectedRevision,
      events: readonly NewEvent[],
    ): Promise<Either<AppendError, AppendResult>> {
      try {
        ensureOpen();
        return committer.enqueue(prepareAppend(stream, expected, events));
      } catch (error) {
        return Promise.reject(error);
      }
    },

    readStream(stream: string, readOptions: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
      const maxCount = countLimit(readOptions.maxCount);
      if (readOptions.direction === 'backwards') {
        const from = readOptions.fromRevision ?? LAST_REVISION;
        return pageThrough(
          (limit, last) => {
            ensureOpen();
            return statements.readStreamBackwards.all(stream, last === undefined ? from : last.revision - 1n, limit);
          },
          pageSize,
          maxCount,
        );
      }
      const from = readOptions.fromRevision ?? 0n;
      return pageThrough(
        (limit, last) => {
          ensureOpen();
          return statements.readStreamForwards.all(stream, last === undefined ? from : last.revision + 1n, limit);
        },
        pageSize,
        maxCount,
      );
    },

    readAll(readOptions: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
      const after = readOptions.after ?? -1n;
      return pageThrough(
        (limit, last) => {
          ensureOpen();
          return statements.readAllAfter.all(last === undefined ? after : last.position, limit);
        },
        pageSize,
        countLimit(readOptions.maxCount),
      );
    },

    subscribeAll(after: bigint = -1n): Observable<RecordedEvent> {
      return liveFeed.subscribe(after);
    },

    async *streamHeads(): AsyncIterable<StreamHead> {
      let afterName = '';
      for (;;) {
        ensureOpen();
        const page = statements.streamHeadsAfter.all(afterName, pageSize);
        for (const row of page) yield { stream: row.name, revision: row.revision, hash: row.hash };
        if (page.length < pageSize) return;
        afterName = page[page.length - 1]!.name;
      }
    },

    async headPosition(): Promise<bigint> {
      ensureOpen();
      return statements.headPosition.get()?.head ?? -1n;
    },

    async close(): Promise<void> {
      if (closed) return;
      try {
        await committer.close();
      } finally {
        closed = true;
        liveFeed.close();
        db.close();
      }
    },
  };
};
