/**
 * Reads in bounded pages. Each page is its own gRPC read of at most READ_PAGE_SIZE events, so a
 * consumer that stops early never leaves a long read running, and memory stays bounded however
 * long the log is.
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
): AsyncGenerator<RecordedEvent> {
  const direction: Direction = options.direction ?? 'forwards';
  let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
  let from: bigint | typeof START | typeof END = options.fromRevision ?? (direction === 'forwards' ? START : END);
  if (typeof from === 'bigint' && from < 0n) return;
  while (remaining > 0) {
    const pageSize = Math.min(READ_PAGE_SIZE, remaining);
    const page = await collectPage(
      client.readStream(stream, {
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        fromRevision: from,
        maxCount: pageSize,
      }),
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
): AsyncGenerator<RecordedEvent> {
  const after = options.after ?? -1n;
  let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
  let cursor = after;
  while (remaining > 0) {
    const page = await collectPage(
      client.readAll({
        direction: FORWARDS,
        fromPosition: cursor < 0n ? START : { commit: cursor, prepare: cursor },
        maxCount: READ_PAGE_SIZE,
      }),
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
export const lastApexEvent = async (client: EventStoreDBClient): Promise<RecordedEvent | undefined> => {
  const pageSize = TAIL_PAGE_SIZE;
  let cursor: bigint | undefined;
  for (;;) {
    const page = await collectPage(
      client.readAll({
        direction: BACKWARDS,
        fromPosition: cursor === undefined ? END : { commit: cursor, prepare: cursor },
        maxCount: pageSize,
      }),
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
