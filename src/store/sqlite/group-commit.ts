import type Database from 'better-sqlite3';
import type { Either } from 'fp-ts/lib/Either.js';
import type { AppendError, AppendResult } from '../event-store.js';
import type { Statements } from './statements.js';
import type { PreparedAppend } from './validate-append.js';
import { writeBatch } from './write-batch.js';

/**
 * Upper bound on events per transaction, so one huge backlog does not hold the write lock (and
 * this process's event loop) for long; the rest goes into the next transaction straight after.
 */
export const MAX_EVENTS_PER_COMMIT = 4_096;

/**
 * Takes the next batch off the front of `queue`: every queued append up to MAX_EVENTS_PER_COMMIT events
 * (at least one append, however large), in order.
 */
export const takeBatch = <Pending extends { readonly append: PreparedAppend }>(queue: Pending[]): Pending[] => {
  let events = 0;
  let count = 0;
  while (count < queue.length) {
    const size = queue[count]!.append.events.length;
    if (count > 0 && events + size > MAX_EVENTS_PER_COMMIT) break;
    events += size;
    count += 1;
  }
  return queue.splice(0, count);
};

/** Reported after each commit, e.g. to measure how many events share one fsync. */
export interface BatchCommitted {
  /** Appends settled by this commit, including those that got Left(WrongExpectedVersion). */
  readonly appends: number;
  /** Events of the appends that succeeded. */
  readonly events: number;
}

interface PendingAppend {
  readonly append: PreparedAppend;
  readonly resolve: (value: Either<AppendError, AppendResult>) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Group commit: appends queued during one turn of the event loop are written by ONE
 * `BEGIN IMMEDIATE … COMMIT`, so many appenders share one fsync. A promise settles only
 * after COMMIT returned; if the transaction itself fails, every append in it rejects.
 */
export class GroupCommitter {
  private queue: PendingAppend[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly commitBatch: (appends: readonly PreparedAppend[]) => ReturnType<typeof writeBatch>;

  constructor(
    db: Database.Database,
    statements: Statements,
    private readonly afterCommit: (batch: BatchCommitted) => void,
    /** When set, a commit's appends settle only after this resolves (an fsync of the WAL). */
    private readonly makeDurable?: () => Promise<void>,
  ) {
    const transaction = db.transaction((appends: readonly PreparedAppend[]) => writeBatch(statements, appends));
    this.commitBatch = (appends) => transaction.immediate(appends);
  }

  enqueue(append: PreparedAppend): Promise<Either<AppendError, AppendResult>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ append, resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** The scheduled turn: commits one batch; leftovers beyond the cap wait a turn, letting I/O run. */
  private flush(): void {
    this.scheduled = undefined;
    this.commit(this.takeBatch());
    if (this.queue.length > 0) this.scheduled = setImmediate(() => this.flush());
  }

  /** Commits everything queued, synchronously (for close()). */
  drain(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    while (this.queue.length > 0) this.commit(this.takeBatch());
  }

  get pending(): number {
    return this.queue.length;
  }

  private takeBatch(): PendingAppend[] {
    return takeBatch(this.queue);
  }

  private commit(batch: readonly PendingAppend[]): void {
    let outcomes: ReturnType<typeof writeBatch>;
    try {
      outcomes = this.commitBatch(batch.map((pending) => pending.append));
    } catch (error) {
      for (const pending of batch) pending.reject(error as Error);
      return;
    }
    const settle = () => {
      let events = 0;
      batch.forEach((pending, index) => {
        const outcome = outcomes[index]!;
        if (outcome.settled === 'rejected') {
          pending.reject(outcome.error);
          return;
        }
        if (outcome.value._tag === 'Right') events += pending.append.events.length;
        pending.resolve(outcome.value);
      });
      this.afterCommit({ appends: batch.length, events });
    };
    if (this.makeDurable === undefined) {
      settle();
      return;
    }
    this.inFlightSyncs += 1;
    this.makeDurable()
      .then(settle, (error: unknown) => {
        // Committed but not known durable: nobody may take these appends as acknowledged.
        for (const pending of batch) pending.reject(error as Error);
      })
      .finally(() => {
        this.inFlightSyncs -= 1;
      });
  }

  private inFlightSyncs = 0;

  /** Appends whose commit is waiting for its fsync. */
  get syncing(): number {
    return this.inFlightSyncs;
  }
}
