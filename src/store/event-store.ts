import type { Either } from 'fp-ts/lib/Either.js';
import type { Observable } from 'rxjs';

/** Expected state of a stream at append time, after EventStoreDB's model. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** What every event records about why and for whom it was written. */
export interface EventMetadata {
  /** JSON-RPC id and session, e.g. `session-1:42`; groups every event of one request. */
  readonly correlationId?: string;
  /** Id of the event (or request) that caused this one. */
  readonly causationId?: string;
  /** The agent on whose behalf the event was written. */
  readonly agent?: string;
  /** ISO-8601 UTC time at which the event was decided. */
  readonly timestamp: string;
  readonly [key: string]: unknown;
}

/** An event on its way into the store. */
export interface NewEvent {
  /** UUID; generated when absent. Appending the same id twice is idempotent where the engine supports it. */
  readonly id?: string;
  readonly type: string;
  readonly schemaVersion: number;
  /** A JSON value (objects, arrays, strings, finite numbers, booleans, null). */
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

/** An event as the store holds it: position, revision and its link in the stream's hash chain. */
export interface RecordedEvent {
  readonly id: string;
  readonly stream: string;
  /** 0-based revision within its stream. */
  readonly revision: bigint;
  /** Global position in the store's total order (`$all`). Strictly increasing, not necessarily dense. */
  readonly position: bigint;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  /** Hash of the previous event in the same stream (GENESIS_HASH for revision 0). */
  readonly prevHash: string;
  /** SHA-256 (hex) over stream, revision, type, schema version, data, metadata and prevHash. */
  readonly hash: string;
}

export interface AppendResult {
  /** Revision of the last event written (the stream's new head). */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  readonly position: bigint;
}

/** The stream was not where the caller expected it: nothing was written. */
export interface WrongExpectedVersion {
  readonly _tag: 'WrongExpectedVersion';
  readonly stream: string;
  readonly expected: ExpectedRevision;
  /** The stream's actual head revision, or 'no_stream'. */
  readonly actual: bigint | 'no_stream';
}

export type AppendError = WrongExpectedVersion;

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  readonly direction?: Direction;
  /** Inclusive start revision; defaults to the start (forwards) or the end (backwards). */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Omit (or -1n) to start at the beginning. */
  readonly after?: bigint;
  readonly maxCount?: number;
}

/** The head of one stream, for digests that detect a deleted tail or a deleted stream. */
export interface StreamHead {
  readonly stream: string;
  readonly revision: bigint;
  readonly hash: string;
}

/**
 * The port every engine implements (SQLite embedded, EventStoreDB/KurrentDB).
 * Expected failures are values (Either); a rejected promise means the engine itself failed.
 */
export interface EventStore {
  /**
   * Appends atomically to one stream. Resolves only once the events are durable at the
   * store's durability level. Left(WrongExpectedVersion) when `expected` does not hold.
   */
  append(
    stream: string,
    expected: ExpectedRevision,
    events: readonly NewEvent[],
  ): Promise<Either<AppendError, AppendResult>>;

  /** Reads one stream; yields nothing for a stream that does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;

  /** Reads the global log in position order, in bounded pages (never loads the whole log). */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;

  /**
   * Every event strictly after `after` (omit for all): first those already stored, then live
   * ones as they are appended — by this process or another one — with no gap and no duplicate.
   */
  subscribeAll(after?: bigint): Observable<RecordedEvent>;

  /** The head (last revision and hash) of every stream, in stream-name order. */
  streamHeads(): AsyncIterable<StreamHead>;

  /** Position of the last event in the log, or -1n when empty. */
  headPosition(): Promise<bigint>;

  /** Flushes pending appends and releases the engine. */
  close(): Promise<void>;
}

export const GENESIS_HASH = '0'.repeat(64);

export const wrongExpectedVersion = (
  stream: string,
  expected: ExpectedRevision,
  actual: bigint | 'no_stream',
): WrongExpectedVersion => ({ _tag: 'WrongExpectedVersion', stream, expected, actual });
