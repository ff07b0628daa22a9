/**
 * The head of each stream (last revision, its hash and position, and the ids of the last events),
 * which an append needs to link its events into the chain. Heads are cached per stream, least
 * recently used first out; a cached head is a fact about one revision that never changes, so a
 * stale entry can only make a write be rejected (WrongExpectedVersion), never be linked wrongly.
 */
import { BACKWARDS, END, type EventStoreDBClient, StreamNotFoundError } from '@eventstore/db-client';
import { type EsdbRecordedEvent, toRecordedEvent } from './recorded-event.js';

/** One of the last events of a stream, as remembered to recognise a retried append. */
export interface TailEvent {
  readonly id: string;
  readonly revision: bigint;
  /** Unknown for all but the last event of an append this process made (the server reports only that one). */
  readonly position: bigint | undefined;
}

export interface StreamHead {
  readonly revision: bigint;
  readonly hash: string;
  readonly position: bigint;
  /** The last events of the stream (up to TAIL_EVENTS_KEPT), oldest first. */
  readonly tail: readonly TailEvent[];
}

/**
 * How many of a stream's last events are remembered. A retry is recognised by its ids while
 * its events are among these; retries come right after the original, so a few suffice.
 */
export const TAIL_EVENTS_KEPT = 16;

export type KnownHead = StreamHead | 'no_stream';

/** Streams whose head is kept; one entry is a few hundred bytes. */
export const HEAD_CACHE_CAPACITY = 10_000;

export class StreamHeadCache {
  readonly #heads = new Map<string, KnownHead>();

  constructor(private readonly capacity: number = HEAD_CACHE_CAPACITY) {}

  get(stream: string): KnownHead | undefined {
    const head = this.#heads.get(stream);
    if (head !== undefined) {
      this.#heads.delete(stream);
      this.#heads.set(stream, head);
    }
    return head;
  }

  set(stream: string, head: KnownHead): void {
    this.#heads.delete(stream);
    this.#heads.set(stream, head);
    if (this.#heads.size > this.capacity) {
      const oldest = this.#heads.keys().next();
      if (!oldest.done) this.#heads.delete(oldest.value);
    }
  }

  invalidate(stream: string): void {
    this.#heads.delete(stream);
  }
}

const readBackwards = async (
  client: EventStoreDBClient,
  stream: string,
  from: bigint | typeof END,
  count: number,
): Promise<EsdbRecordedEvent[]> => {
  const events: EsdbRecordedEvent[] = [];
  try {
    for await (const resolved of client.readStream(stream, {
      direction: BACKWARDS,
      fromRevision: from,
      maxCount: count,
    })) {
      if (resolved.event !== undefined) events.push(resolved.event);
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return events;
};

const headOf = (newestFirst: readonly EsdbRecordedEvent[]): KnownHead => {
  const [newest, ...older] = newestFirst.map(toRecordedEvent);
  if (newest === undefined) return 'no_stream';
  const tail = [newest, ...older].reverse().map(({ id, revision, position }) => ({ id, revision, position }));
  return { revision: newest.revision, hash: newest.hash, position: newest.position, tail };
};

/** The stream's head and tail, read from the server: one backwards read. */
export const readStreamHead = async (client: EventStoreDBClient, stream: string): Promise<KnownHead> =>
  headOf(await readBackwards(client, stream, END, TAIL_EVENTS_KEPT));

/** The head after this process appended `written` to `previous`. */
export const headAfter = (
  previous: KnownHead,
  written: readonly TailEvent[],
  last: { readonly hash: string; readonly position: bigint },
): StreamHead => {
  const tail = [...(previous === 'no_stream' ? [] : previous.tail), ...written].slice(-TAIL_EVENTS_KEPT);
  return { revision: written.at(-1)!.revision, hash: last.hash, position: last.position, tail };
};

/** The event at `revision` seen as a head (what an append expecting that revision links to), if it exists. */
export const readHeadAt = async (
  client: EventStoreDBClient,
  stream: string,
  revision: bigint,
): Promise<StreamHead | undefined> => {
  const [event] = await readBackwards(client, stream, revision, 1);
  if (event === undefined || event.revision !== revision) return undefined;
  const head = headOf([event]);
  return head === 'no_stream' ? undefined : head;
};
