/**
 * Reads in bounded pages. Each page is its own gRPC read of at most READ_PAGE_SIZE events, so a
 * consumer that stops early never leaves a long read running, and memory stays bounded however
 * long the log is. A page is collected whole before any of it is yielded, so a page that fails in
 * a leader change is simply read again (within the failover window, see failover.ts).
 */
import {
  BACKWARDS,
  END,
  type EventStoreDBClient,
  FORWARDS,
  type ResolvedEvent,
  START,
  StreamNotFoundError,
} from '@eventstore/db-client';
import type { Direction, ReadAllOptions, ReadStreamOptions, RecordedEvent } from '../event-store.js';
import { type FailoverPolicy, NO_FAILOVER, retryRead } from './failover.js';
import { type EsdbRecordedEvent, isSystemEvent, toRecordedEvent } from './recorded-event.js';

/** Events per read call; the server's own batches are smaller, so this only bounds one call's lifetime. */
export const READ_PAGE_SIZE = 512;

/** The server's view of one page; a missing stream reads as an empty page. */
const collectPage = async (read: AsyncIterable<ResolvedEvent>): Promise<EsdbRecordedEvent[]> => {
  const page: EsdbRecordedEvent[] = [];
  try {
    for await (const resolved of read) if (resolved.event !== undefined) page.push(resolved.event);
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return page;
};

export async function* readStreamPaged(
  client: EventStoreDBClient,
  stream: string,
  options: ReadStreamOptions = {},
  failover: FailoverPolicy = NO_FAILOVER,
): AsyncGenerator<RecordedEvent> {
  const direction: Direction = options.direction ?? 'forwards';
  let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
  let from: bigint | typeof START | typeof END = options.fromRevision ?? (direction === 'forwards' ? START : END);
  if (typeof from === 'bigint' && from < 0n) return;
  while (remaining > 0) {
    const pageSize = Math.min(READ_PAGE_SIZE, remaining);
    const pageFrom = from;
    const page = await retryRead(failover, `reading ${stream}`, () =>
      collectPage(
        client.readStream(stream, {
          direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
          fromRevision: pageFrom,
          maxCount: pageSize,
        }),
      ),
    );
    for (const event of page) yield toRecordedEvent(event);
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return;
    remaining -= page.length;
    if (direction === 'backwards' && last.revision === 0n) return;
    from = direction === 'forwards' ? last.revision + 1n : last.revision - 1n;
  }
}

/**
 * $all forwards, strictly after `after`. A read from a position includes the event at it, so each
 * page after the first starts at the previous page's last event and skips it again.
 */
export async function* readAllPaged(
  client: EventStoreDBClient,
  options: ReadAllOptions = {},
  failover: FailoverPolicy = NO_FAILOVER,
): AsyncGenerator<RecordedEvent> {
  const after = options.after ?? -1n;
  let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
  let cursor = after;
  while (remaining > 0) {
    const pageAfter = cursor;
    const page = await retryRead(failover, 'reading $all', () =>
      collectPage(
        client.readAll({
          direction: FORWARDS,
          fromPosition: pageAfter < 0n ? START : { commit: pageAfter, prepare: pageAfter },
          maxCount: READ_PAGE_SIZE,
        }),
      ),
    );
    for (const event of page) {
      const position = event.position?.commit ?? -1n;
      if (position <= cursor || isSystemEvent(event)) continue;
      yield toRecordedEvent(event);
      remaining -= 1;
      if (remaining <= 0) return;
    }
    const last = page.at(-1);
    if (last === undefined || page.length < READ_PAGE_SIZE) return;
    cursor = last.position?.commit ?? cursor;
  }
}

/** Events per backwards page when looking for the last APEX event; at least 2 so that every page makes progress. */
const TAIL_PAGE_SIZE = 32;

/**
 * The last APEX event of $all, skipping the server's own events at the end of the log (statistics
 * and the like can be written after APEX's last event). Usually the first page of one holds it.
 */
export const lastApexEvent = async (
  client: EventStoreDBClient,
  failover: FailoverPolicy = NO_FAILOVER,
): Promise<RecordedEvent | undefined> => {
  const pageSize = TAIL_PAGE_SIZE;
  let cursor: bigint | undefined;
  for (;;) {
    const before = cursor;
    const page = await retryRead(failover, 'reading the end of $all', () =>
      collectPage(
        client.readAll({
          direction: BACKWARDS,
          fromPosition: before === undefined ? END : { commit: before, prepare: before },
          maxCount: pageSize,
        }),
      ),
    );
    const apexEvent = page.find(
      (event) => !isSystemEvent(event) && (cursor === undefined || (event.position?.commit ?? cursor) < cursor),
    );
    if (apexEvent !== undefined) return toRecordedEvent(apexEvent);
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return undefined;
    cursor = last.position?.commit;
  }
};
