/**
 * The EventStoreDB adapter, through the real @eventstore/db-client, against a three-node cluster
 * of gRPC protocol fakes on 127.0.0.1. The three fakes share one in-memory transaction log (it is a
 * fake: no replication, no follower lag, no real election); what they reproduce is what a client
 * sees of a cluster — gossip, NotLeader redirects, a leader that goes away with calls in flight,
 * a window without a leader, writes committed by a leader that died before answering.
 */
import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent, NotLeaderError } from '@eventstore/db-client';
import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { isRight } from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  RecordedEvent,
} from '../../src/store/event-store.js';
import { DEFAULT_FAILOVER_WINDOW_MS, defaultFailoverPolicy } from '../../src/store/eventstoredb/failover.js';
import { openEventStoreDbStore } from '../../src/store/eventstoredb/index.js';
import { verifyChain } from '../../src/store/verify.js';
import { type EsdbProtocolFakeCluster, startEsdbProtocolFakeCluster } from '../support/esdb-protocol-fake/cluster.js';
import {
  type ClusterInfo,
  Empty,
  GossipService,
  MemberInfo,
} from '../support/esdb-protocol-fake/generated-protocol.js';
import { until } from '../support/wait-until.js';

const newEvent = (tag: string, part: string): NewEvent => ({
  type: 'Counted',
  schemaVersion: 1,
  data: { tag, part },
  metadata: { timestamp: '2026-11-25T10:32:00.000Z', correlationId: tag },
});

/** What node `port` says about the cluster: [port, state, alive] per member. */
const gossipOf = (port: number): Promise<[number, string, boolean][]> => {
  const Client = makeGenericClientConstructor(GossipService, 'ProtocolFakeGossipProbe');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const stateName = (state: number) =>
    Object.entries(MemberInfo.VNodeState).find(([, value]) => value === state)?.[0] ?? String(state);
  return new Promise((resolve, reject) =>
    (
      client as unknown as {
        read(
          request: unknown,
          done: (error: ServiceError | null, info: InstanceType<typeof ClusterInfo>) => void,
        ): void;
      }
    ).read(new Empty(), (error, info) => {
      client.close();
      if (error) return reject(error);
      resolve(
        info
          .getMembersList()
          .map((member) => [member.getHttpEndPoint()!.getPort(), stateName(member.getState()), member.getIsAlive()]),
      );
    }),
  );
};

/** The APEX events of the shared log, as the fake stores them (raw bytes, not read through the adapter). */
const rawApexRecords = (cluster: EsdbProtocolFakeCluster) =>
  cluster.log.records
    .filter((record) => !record.stream.startsWith('$'))
    .map((record) => {
      const data = JSON.parse(Buffer.from(record.data).toString('utf8')) as { tag: string; part: string };
      return { id: record.id, stream: record.stream, revision: record.revision, position: record.position, ...data };
    });

type Settled =
  | { readonly tag: string; readonly stream: string; readonly kind: 'resolved'; readonly result: AppendResult }
  | { readonly tag: string; readonly stream: string; readonly kind: 'refused'; readonly actual: bigint | 'no_stream' }
  | { readonly tag: string; readonly stream: string; readonly kind: 'rejected'; readonly error: Error };

/**
 * One writer per stream, appending two events at a time as APEX's aggregates do (an exact expected
 * revision, the next one taken from the last result) or with `any`; after a rejected append it
 * reads the stream's head again, as an aggregate does.
 */
const runWriter = async (
  store: EventStore,
  stream: string,
  appends: number,
  mode: 'exact' | 'any',
  settled: Settled[],
): Promise<void> => {
  let expected: ExpectedRevision = 'no_stream';
  for (let n = 0; n < appends; n += 1) {
    const tag = `${stream}#${n}`;
    try {
      const result = await store.append(stream, mode === 'any' ? 'any' : expected, [
        newEvent(tag, 'a'),
        newEvent(tag, 'b'),
      ]);
      if (isRight(result)) {
        settled.push({ tag, stream, kind: 'resolved', result: result.right });
        expected = result.right.nextExpectedRevision;
      } else {
        settled.push({ tag, stream, kind: 'refused', actual: result.left.actual });
        expected = result.left.actual === 'no_stream' ? 'no_stream' : result.left.actual;
      }
    } catch (error) {
      settled.push({ tag, stream, kind: 'rejected', error: error as Error });
      let head: ExpectedRevision = 'no_stream';
      try {
        for await (const event of store.readStream(stream, { direction: 'backwards', maxCount: 1 })) {
          head = event.revision;
        }
        expected = head;
      } catch {
        // No node answers reads either: keep the last expectation; the next append will be refused or fail.
      }
    }
  }
};

/**
 * What must hold whatever happened: every resolved append is in the log exactly once, where its
 * result says; no event id is stored twice; a rejected append is in the log at most once.
 */
const expectExactlyOnce = (cluster: EsdbProtocolFakeCluster, settled: readonly Settled[]) => {
  const records = rawApexRecords(cluster);
  const ids = records.map((record) => record.id);
  expect(new Set(ids).size).toBe(ids.length);
  const byTag = new Map<string, typeof records>();
  for (const record of records) byTag.set(record.tag, [...(byTag.get(record.tag) ?? []), record]);
  for (const append of settled) {
    const stored = byTag.get(append.tag) ?? [];
    if (append.kind === 'resolved') {
      expect(
        stored.map((record) => record.part),
        append.tag,
      ).toEqual(['a', 'b']);
      const last = stored[1]!;
      expect({ revision: last.revision, position: last.position }, append.tag).toEqual({
        revision: append.result.nextExpectedRevision,
        position: append.result.position,
      });
      expect(stored[0]!.revision + 1n).toBe(last.revision);
    } else {
      expect([0, 2], append.tag).toContain(stored.length);
    }
  }
  // Each stream is one unbroken sequence of revisions.
  const streams = new Map<string, bigint[]>();
  for (const record of records) streams.set(record.stream, [...(streams.get(record.stream) ?? []), record.revision]);
  for (const [stream, revisions] of streams) {
    expect(revisions, stream).toEqual(revisions.map((_, index) => BigInt(index)));
  }
  return byTag;
};

describe('EventStoreDB adapter on a three-node cluster of gRPC protocol fakes (one shared in-memory log)', () => {
  const resources: { close(): Promise<void> }[] = [];
  const startCluster = async (options: Parameters<typeof startEsdbProtocolFakeCluster>[0] = {}) => {
    const cluster = await startEsdbProtocolFakeCluster(options);
    resources.push({ close: () => cluster.stop() });
    return cluster;
  };
  const open = (connectionString: string, options: Parameters<typeof openEventStoreDbStore>[1] = {}) => {
    const store = openEventStoreDbStore(connectionString, options);
    resources.push(store);
    return store;
  };
  afterEach(async () => {
    for (const resource of resources.splice(0).reverse()) await resource.close();
  });

  it('is a cluster to the client: every node gossips one leader; a follower names it or forwards a write', async () => {
    const cluster = await startCluster();
    const ports = cluster.nodes.map((node) => node.port);
    const expected = [
      [ports[0], 'LEADER', true],
      [ports[1], 'FOLLOWER', true],
      [ports[2], 'FOLLOWER', true],
    ];
    for (const port of ports) expect(await gossipOf(port!)).toEqual(expected);

    // A write that must reach the leader is refused by a follower with the leader's endpoint ...
    const viaFollower = EventStoreDBClient.connectionString(cluster.connectionString(1));
    resources.push({ close: () => viaFollower.dispose() });
    const refusal = await viaFollower
      .appendToStream('raw', jsonEvent({ type: 'A', data: {} }), { requiresLeader: true })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(NotLeaderError);
    expect((refusal as NotLeaderError).leader).toEqual({ address: '127.0.0.1', port: ports[0] });
    // ... and the client reconnects there for the next call.
    await viaFollower.appendToStream('raw', jsonEvent({ type: 'B', data: {} }), { requiresLeader: true });
    expect(cluster.nodes[0]!.stats.writesAsLeader).toBe(1);
    expect(cluster.nodes[1]!.stats.notLeaderRefusals).toBe(1);

    // A write without `requires-leader` is forwarded by the follower; reads are served by any node.
    const other = EventStoreDBClient.connectionString(cluster.connectionString(2));
    resources.push({ close: () => other.dispose() });
    await other.appendToStream('raw', jsonEvent({ type: 'C', data: {} }));
    expect(cluster.nodes[2]!.stats.writesForwarded).toBe(1);
    const types: string[] = [];
    for await (const resolved of other.readStream('raw')) types.push(resolved.event!.type);
    expect(types).toEqual(['B', 'C']);
  });

  it('finds the leader through gossip (discovery via a follower, or gossip seeds), and the next one after it stops', async () => {
    const cluster = await startCluster();
    const discovered = open(cluster.discoveryConnectionString(2));
    const seeded = open(cluster.gossipSeedConnectionString);
    for (const store of [discovered, seeded]) {
      expect(isRight(await store.append('agent-a', 'any', [newEvent(randomUUID(), 'a')]))).toBe(true);
    }
    expect(cluster.nodes.map((node) => node.stats.writesAsLeader)).toEqual([2, 0, 0]);
    expect(cluster.nodes.map((node) => node.stats.notLeaderRefusals + node.stats.writesForwarded)).toEqual([0, 0, 0]);

    await cluster.stopNode(0);
    expect(await gossipOf(cluster.nodes[2]!.port)).toEqual([
      [cluster.nodes[0]!.port, 'LEADER', false],
      [cluster.nodes[1]!.port, 'LEADER', true],
      [cluster.nodes[2]!.port, 'FOLLOWER', true],
    ]);
    for (const store of [discovered, seeded]) {
      expect(isRight(await store.append('agent-a', 'any', [newEvent(randomUUID(), 'a')]))).toBe(true);
    }
    // Node 1 leads now and took them (each store first lost a race for the head to the other);
    // the stopped node took nothing more and node 2 stayed a follower.
    expect(cluster.nodes.map((node) => node.stats.writesAsLeader)).toEqual([2, 4, 0]);
    expect(await verifyChain(seeded)).toMatchObject({ ok: true, events: 4, streams: 1 });
  });

  it('follows a NotLeader redirect when a single-node connection string names a follower, writing once', async () => {
    const cluster = await startCluster();
    const store = open(cluster.connectionString(1));
    const appended = await store.append('agent-b', 'no_stream', [newEvent('redirected', 'a')]);
    expect(isRight(appended)).toBe(true);
    expect(cluster.nodes[1]!.stats.notLeaderRefusals).toBe(1);
    expect(cluster.nodes[0]!.stats.writesAsLeader).toBe(1);
    expect(rawApexRecords(cluster).map((record) => record.tag)).toEqual(['redirected']);
  });

  it('lands every append exactly once when the leader goes away with appends in flight', async () => {
    const cluster = await startCluster();
    const store = open(cluster.gossipSeedConnectionString);
    const writers = 6;
    const appendsEach = 30;
    const settled: Settled[] = [];
    const running = Array.from({ length: writers }, (_, index) =>
      runWriter(store, `agent-w${index}`, appendsEach, index % 3 === 2 ? 'any' : 'exact', settled),
    );

    // A third of the way in, the leader keeps committing but stops answering; once every writer
    // waits on it, it goes away. Node 1 leads after a 300 ms election.
    await until(() => settled.length >= (writers * appendsEach) / 3, 'a third of the appends are done');
    cluster.holdReplies(0);
    await until(() => cluster.heldReplies(0) === writers, 'every writer waits on the leader');
    await cluster.stopNode(0, { electionMs: 300, successor: 1 });
    await Promise.all(running);

    expect(settled.filter((append) => append.kind !== 'resolved')).toEqual([]);
    expect(settled).toHaveLength(writers * appendsEach);
    const byTag = expectExactlyOnce(cluster, settled);
    expect(byTag.size).toBe(writers * appendsEach);

    // The writes committed by the old leader but never answered were sent again — first to a
    // follower that had no leader to name, during the election — and recognised by their ids on
    // the new leader, which took every write after the failover.
    expect(cluster.nodes[0]!.stats.repliesDropped).toBe(writers);
    expect(cluster.nodes[1]!.stats.notReadyRefusals + cluster.nodes[2]!.stats.notReadyRefusals).toBeGreaterThan(0);
    expect(cluster.nodes[1]!.stats.retriesRecognised).toBeGreaterThanOrEqual(writers);
    expect(cluster.nodes[1]!.stats.writesAsLeader).toBeGreaterThan(0);
    expect(cluster.nodes[2]!.stats.writesAsLeader).toBe(0);
    expect(await verifyChain(open(cluster.discoveryConnectionString(1)))).toMatchObject({
      ok: true,
      events: writers * appendsEach * 2,
      streams: writers,
    });
  });

  it('fails appends clearly, never writing one twice, when no leader comes back within the failover window', async () => {
    const cluster = await startCluster();
    const store = open(cluster.gossipSeedConnectionString, { failoverWindowMs: 400 });
    const writers = 4;
    const settled: Settled[] = [];
    const running = Array.from({ length: writers }, (_, index) =>
      runWriter(store, `agent-v${index}`, 6, index % 2 === 0 ? 'exact' : 'any', settled),
    );
    await until(() => settled.length >= writers, 'some appends are done');
    cluster.holdReplies(0);
    await until(() => cluster.heldReplies(0) === writers, 'every writer waits on the leader');
    await cluster.stopNode(0, { successor: 'none' });
    await Promise.all(running);

    const byTag = expectExactlyOnce(cluster, settled);
    const rejected = settled.filter((append) => append.kind === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(writers);
    for (const append of rejected) {
      const stored = byTag.get(append.tag)?.length ?? 0;
      // Committed before the leader died, never answered: its outcome is unknown to the writer.
      if (stored > 0) {
        expect(append.error.name).toBe('AppendOutcomeUnknown');
        expect(append.error.message).toMatch(/may have been written, once — never twice/);
      } else {
        expect(['AppendOutcomeUnknown', 'EventStoreUnavailable']).toContain(append.error.name);
      }
      expect(append.error.message).toContain(append.stream);
    }
    // The appends in flight when the leader died had landed; those sent afterwards were refused
    // by the followers (no leader) and are reported as not written.
    expect(rejected.filter((append) => (byTag.get(append.tag)?.length ?? 0) > 0)).toHaveLength(writers);
    expect(rejected.some((append) => append.error.name === 'EventStoreUnavailable')).toBe(true);
    expect(cluster.nodes[1]!.stats.notReadyRefusals + cluster.nodes[2]!.stats.notReadyRefusals).toBeGreaterThan(0);
  });
  /** A live subscription to $all that records what it receives and how it ended. */
  const watchAll = (store: EventStore) => {
    const watched = { received: [] as RecordedEvent[], failure: undefined as unknown, completed: false };
    const subscription = store.subscribeAll().subscribe({
      next: (event) => watched.received.push(event),
      error: (error: unknown) => {
        watched.failure = error;
      },
      complete: () => {
        watched.completed = true;
      },
    });
    resources.push({ close: async () => subscription.unsubscribe() });
    return watched;
  };
  type Watched = ReturnType<typeof watchAll>;
  /** Waits until the subscription has `count` events, or has ended (then the caller's expectations say how). */
  const untilReceived = (watched: Watched, count: number) =>
    until(
      () => watched.received.length >= count || watched.failure !== undefined || watched.completed,
      `the subscriber has ${count} events`,
      30_000,
    );
  const appendEach = async (store: EventStore, stream: string, count: number) => {
    for (let n = 0; n < count; n += 1) {
      expect(isRight(await store.append(stream, 'any', [newEvent(`${stream}#${n}`, 'a')]))).toBe(true);
    }
  };

  it('keeps a live subscription through two leader changes: every event once, in order, no gap', async () => {
    const cluster = await startCluster();
    const writer = open(cluster.gossipSeedConnectionString);
    const watched = watchAll(open(cluster.gossipSeedConnectionString));

    await appendEach(writer, 'agent-before', 10);
    await untilReceived(watched, 10);

    // A burst; the leader, which serves the subscription, stops as soon as the burst is stored,
    // usually while it is still on its way to the subscriber. Node 1 leads at once.
    const burst = Array.from({ length: 3 }, (_, batch) =>
      writer.append(
        'agent-burst',
        'any',
        Array.from({ length: 100 }, (_, n) => newEvent(`burst-${batch}-${n}`, 'a')),
      ),
    );
    expect((await Promise.all(burst)).every(isRight)).toBe(true);
    await cluster.stopNode(0, { successor: 1 });
    await appendEach(writer, 'agent-after-first', 10);
    await untilReceived(watched, 320);
    expect(watched.failure).toBeUndefined();

    // The subscription was taken up again on node 1, the leader it discovered. Node 1 stops too;
    // node 2 takes the subscription during the election (reads need no leader) and then leads.
    await cluster.stopNode(1, { electionMs: 200, successor: 2 });
    await appendEach(writer, 'agent-after-second', 10);
    await untilReceived(watched, 330);

    expect(watched.failure).toBeUndefined();
    expect(watched.completed).toBe(false);
    const ids = watched.received.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    const stored: RecordedEvent[] = [];
    for await (const event of open(cluster.discoveryConnectionString(2)).readAll()) stored.push(event);
    expect(stored).toHaveLength(330);
    expect(watched.received).toEqual(stored);
    expect(cluster.nodes.map((node) => node.stats.subscriptionsServed)).toEqual([1, 1, 1]);
  });

  it('ends a live subscription with a clear error when no node comes back within the failover window', async () => {
    const cluster = await startCluster();
    const store = open(cluster.gossipSeedConnectionString, { failoverWindowMs: 400 });
    const watched = watchAll(store);
    await appendEach(store, 'agent-x', 3);
    await untilReceived(watched, 3);

    await cluster.stopNode(1);
    await cluster.stopNode(2);
    await cluster.stopNode(0, { successor: 'none' });
    await until(() => watched.failure !== undefined || watched.completed, 'the subscription ends', 30_000);

    expect(watched.completed).toBe(false);
    expect(watched.failure).toMatchObject({ name: 'EventStoreUnavailable' });
    const last = watched.received.at(-1)!.position;
    expect((watched.failure as Error).message).toContain(`no EventStoreDB node took it again within 400 ms`);
    expect((watched.failure as Error).message).toContain(`every event up to position ${last} was delivered`);
    expect(watched.received.map((event) => event.stream)).toEqual(['agent-x', 'agent-x', 'agent-x']);
  });
});

describe('the failover window a connection string gets', () => {
  it.each([
    ['esdb://node1:2113,node2:2113,node3:2113?tls=true', DEFAULT_FAILOVER_WINDOW_MS],
    ['esdb://admin:changeit@node1:2113,node2:2113?tls=true&nodePreference=leader', DEFAULT_FAILOVER_WINDOW_MS],
    ['esdb+discover://cluster.example:2113?tls=true', DEFAULT_FAILOVER_WINDOW_MS],
    ['esdb://localhost:2113?tls=false', 0],
    ['esdb://admin:changeit@db.example:2113?tls=true&tlsCAFile=/etc/apex/ca,crt', 0],
  ])('%s: %i ms', (connectionString, windowMs) => {
    expect(defaultFailoverPolicy(connectionString)).toEqual({ windowMs });
  });

  it('fails at once, saying nothing was written, when the one node named does not answer', async () => {
    const cluster = await startEsdbProtocolFakeCluster({ nodes: 1 });
    const store = openEventStoreDbStore(cluster.connectionString(0));
    await cluster.stop();
    const failure = await store.append('agent-a', 'any', [newEvent('lost', 'a')]).catch((error: unknown) => error);
    await store.close();
    expect(failure).toMatchObject({ name: 'EventStoreUnavailable' });
    expect(String((failure as Error).message)).toMatch(/agent-a was not written/);
  });
});
