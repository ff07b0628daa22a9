/**
 * The EventStore port on EventStoreDB/KurrentDB, through @eventstore/db-client. The engine keeps
 * the events, their order and the expected-revision checks; the adapter adds APEX's hash chain
 * (in each event's metadata, see chain-metadata.ts) and hides the server's own events.
 * See docs/adr/0004-eventstoredb-adapter.md.
 */
import { EventStoreDBClient } from '@eventstore/db-client';
import { Subject, takeUntil } from 'rxjs';
import type { EventStore, StreamHead } from '../event-store.js';
import { defaultFailoverPolicy, type FailoverPolicy } from './failover.js';
import { lastApexEvent, readAllPaged, readStreamPaged } from './paged-reads.js';
import { StreamAppender } from './stream-appender.js';
import { StreamHeadCache } from './stream-heads.js';
import { subscribeAll } from './subscribe-all.js';

/** Named like the SQLite adapter's error, so callers can tell a closed store by name whatever the engine. */
export class EventStoreDbClosed extends Error {
  override readonly name = 'EventStoreClosed';
}

/**
 * Every stream's head, from one pass over $all: it costs a read of the whole log and memory for
 * one entry per stream, so it is for `apex verify` and digests, not for a request path.
 */
async function* streamHeadsFromLog(client: EventStoreDBClient, failover: FailoverPolicy): AsyncGenerator<StreamHead> {
  const heads = new Map<string, StreamHead>();
  for await (const event of readAllPaged(client, {}, failover)) {
    heads.set(event.stream, { stream: event.stream, revision: event.revision, hash: event.hash });
  }
  const names = [...heads.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) yield heads.get(name)!;
}

/**
 * KurrentDB's schemes (`kurrentdb://`, `kdb://`, each also `+discover`) name the same settings as
 * `esdb://`, which is all @eventstore/db-client 6 parses.
 */
export const toEsdbConnectionString = (connectionString: string): string =>
  connectionString.replace(
    /^(?:kurrentdb|kdb)(\+discover)?:\/\//i,
    (_, discover: string | undefined) => `esdb${discover ?? ''}://`,
  );

export interface EventStoreDbOptions {
  /**
   * How long a call keeps retrying through a leader change before it fails (ms). Default: 10 s
   * for a cluster connection string (several hosts, or `+discover`), 0 for a single node — a
   * NotLeader redirect is followed either way. See failover.ts.
   */
  readonly failoverWindowMs?: number;
}

/**
 * Opens the store on a server, e.g. `esdb://localhost:2113?tls=false` (insecure),
 * `kurrentdb+discover://cluster.example:2113` or
 * `esdb://admin:changeit@node1:2113,node2:2113,node3:2113?tls=true` (cluster). Nothing is sent
 * until the first call; a server that cannot be reached fails that call.
 */
export const openEventStoreDbStore = (connectionString: string, options: EventStoreDbOptions = {}): EventStore => {
  const esdbConnectionString = toEsdbConnectionString(connectionString);
  const client = EventStoreDBClient.connectionString(esdbConnectionString);
  const failover: FailoverPolicy =
    options.failoverWindowMs === undefined
      ? defaultFailoverPolicy(esdbConnectionString)
      : { windowMs: options.failoverWindowMs };
  const appender = new StreamAppender(client, new StreamHeadCache(), failover);
  const closing = new Subject<void>();
  let closed: Promise<void> | undefined;
  const open = <T>(call: () => T): T => {
    if (closed !== undefined) throw new EventStoreDbClosed('the EventStoreDB store is closed');
    return call();
  };
  const openAsync = <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return open(call);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    append: (stream, expected, events) => openAsync(() => appender.append(stream, expected, events)),
    readStream: (stream, readOptions) => open(() => readStreamPaged(client, stream, readOptions, failover)),
    readAll: (readOptions) => open(() => readAllPaged(client, readOptions, failover)),
    subscribeAll: (after) => open(() => subscribeAll(client, after, failover).pipe(takeUntil(closing))),
    streamHeads: () => open(() => streamHeadsFromLog(client, failover)),
    headPosition: () => openAsync(async () => (await lastApexEvent(client, failover))?.position ?? -1n),
    close: () => {
      closed ??= (async () => {
        await appender.drain();
        closing.next();
        closing.complete();
        await client.dispose();
      })();
      return closed;
    },
  };
};
