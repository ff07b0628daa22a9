import { Observable } from 'rxjs';
import type { RecordedEvent } from '../event-store.js';

/** How often the store looks for events committed by other processes on the same file. */
export const DEFAULT_LIVE_POLL_INTERVAL_MS = 25;

/** Reads up to `limit` events strictly after `after`, in position order (synchronously). */
export type ReadEventsAfter = (after: bigint, limit: number) => readonly RecordedEvent[];

interface LiveSubscriber {
  /** Position of the last event this subscriber has been given. */
  cursor: bigint;
  readonly next: (event: RecordedEvent) => void;
  readonly error: (error: unknown) => void;
  readonly complete: () => void;
}

/** A read that found another connection mid-checkpoint or recovering: try again at the next tick. */
const isTransientLockError = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
};

/**
 * `subscribeAll` for a store whose writers may live in other processes: each subscriber first
 * catches up from the table on its own, then joins ONE shared poller, which reads new rows every
 * interval (and right after this process commits) and hands each to every live subscriber.
 *
 * No gap, no duplicate: positions are assigned inside the write transaction and writers are
 * serialized, so rows become visible in position order; a reader that has seen position P will
 * never later see a new row below P. A subscriber joins in the same synchronous turn as the read
 * that found no more rows, so the poller's cursor cannot be past it; any row it has already had
 * is skipped by its own cursor.
 */
export class LiveFeed {
  private readonly live = new Set<LiveSubscriber>();
  private cursor = -1n;
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    private readonly readEventsAfter: ReadEventsAfter,
    private readonly pageSize: number,
    private readonly pollIntervalMs: number,
  ) {}

  subscribe(after: bigint): Observable<RecordedEvent> {
    return new Observable<RecordedEvent>((observer) => {
      const subscriber: LiveSubscriber = {
        cursor: after,
        next: (event) => observer.next(event),
        error: (error) => observer.error(error),
        complete: () => observer.complete(),
      };
      let stopped = false;
      let nextPage: NodeJS.Immediate | undefined;

      const catchUp = (): void => {
        nextPage = undefined;
        if (stopped) return;
        if (this.closed) {
          observer.complete();
          return;
        }
        let page: readonly RecordedEvent[];
        try {
          page = this.readEventsAfter(subscriber.cursor, this.pageSize);
        } catch (error) {
          observer.error(error);
          return;
        }
        for (const event of page) {
          if (stopped) return;
          subscriber.cursor = event.position;
          observer.next(event);
        }
        if (stopped) return;
        // A short page means we have read everything committed: join the live feed in this same turn.
        if (page.length < this.pageSize) this.join(subscriber);
        else nextPage = setImmediate(catchUp);
      };

      catchUp();
      return () => {
        stopped = true;
        if (nextPage !== undefined) clearImmediate(nextPage);
        this.leave(subscriber);
      };
    });
  }

  /** Called after this process commits, so its own subscribers need not wait for the next tick. */
  wake(): void {
    if (this.live.size === 0 || this.wakeUp !== undefined) return;
    this.wakeUp = setImmediate(() => {
      this.wakeUp = undefined;
      this.poll();
    });
  }

  /** Completes every subscription and stops polling. */
  close(): void {
    this.closed = true;
    const subscribers = [...this.live];
    this.stop();
    for (const subscriber of subscribers) subscriber.complete();
  }

  private join(subscriber: LiveSubscriber): void {
    // With nobody live, the poller's cursor is stale: everything up to this subscriber is delivered.
    if (this.live.size === 0) this.cursor = subscriber.cursor;
    this.live.add(subscriber);
    this.timer ??= setInterval(() => this.poll(), this.pollIntervalMs);
  }

  private leave(subscriber: LiveSubscriber): void {
    this.live.delete(subscriber);
    if (this.live.size === 0) this.stop();
  }

  private stop(): void {
    this.live.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.wakeUp !== undefined) clearImmediate(this.wakeUp);
    this.timer = undefined;
    this.wakeUp = undefined;
  }

  private poll(): void {
    if (this.live.size === 0) return;
    let page: readonly RecordedEvent[];
    try {
      page = this.readEventsAfter(this.cursor, this.pageSize);
    } catch (error) {
      if (isTransientLockError(error)) return;
      const subscribers = [...this.live];
      this.stop();
      for (const subscriber of subscribers) subscriber.error(error);
      return;
    }
    for (const event of page) {
      this.cursor = event.position;
      for (const subscriber of this.live) {
        if (event.position > subscriber.cursor) {
          subscriber.cursor = event.position;
          subscriber.next(event);
        }
      }
    }
    // A full page means more is waiting: read on in the next turn rather than the next tick.
    if (page.length === this.pageSize) this.wake();
  }
}
