import { randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClusterInfo,
  Empty,
  GossipService,
  MemberInfo,
  ServerFeaturesService,
  type SupportedMethods,
} from '../support/esdb-protocol-fake/generated-protocol.js';
import { type EsdbProtocolFake, startEsdbProtocolFake } from '../support/esdb-protocol-fake/index.js';

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
};

const event = (n: number, id?: string) => jsonEvent({ type: 'Counted', data: { n }, ...(id ? { id } : {}) });

/** Calls one unary method of a service the client package defines, on the fake, with a bare gRPC client. */
const callUnary = <Reply>(fake: EsdbProtocolFake, service: typeof GossipService | typeof ServerFeaturesService) => {
  const Client = makeGenericClientConstructor(service, 'ProtocolFakeProbe');
  const client = new Client(`127.0.0.1:${fake.port}`, credentials.createInsecure());
  const [method] = Object.keys(service);
  return new Promise<Reply>((resolve, reject) =>
    (client as unknown as Record<string, (request: unknown, done: (e: ServiceError | null, r: Reply) => void) => void>)[
      method!
    ]!(new Empty(), (error, reply) => {
      client.close();
      return error ? reject(error) : resolve(reply);
    }),
  );
};

describe('EventStoreDB gRPC protocol fake, through the raw client', () => {
  const resources: { close(): Promise<void> }[] = [];
  const start = async (options: Parameters<typeof startEsdbProtocolFake>[0] = {}) => {
    const fake = await startEsdbProtocolFake(options);
    const client = EventStoreDBClient.connectionString(fake.connectionString);
    resources.push({ close: () => fake.stop() }, { close: () => client.dispose() });
    return { fake, client };
  };
  afterEach(async () => {
    for (const resource of resources.splice(0).reverse()) await resource.close();
  });

  it.each([
    ['Streams.BatchAppend', true],
    ['Streams.Append', false],
  ])('answers every expected-revision form as the server does, through %s', async (_, batchAppend) => {
    const { client } = await start({ batchAppend });
    const rejection = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => {
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          const { expectedVersion, actualVersion } = error as WrongExpectedVersionError;
          return { expectedVersion, actualVersion };
        },
      );
    expect(await rejection(client.appendToStream('s', event(0), { expectedRevision: STREAM_EXISTS }))).toEqual({
      expectedVersion: 'stream_exists',
      actualVersion: 'no_stream',
    });
    expect((await client.appendToStream('s', event(0), { expectedRevision: NO_STREAM })).nextExpectedRevision).toBe(0n);
    expect(await rejection(client.appendToStream('s', event(1), { expectedRevision: NO_STREAM }))).toEqual({
      expectedVersion: 'no_stream',
      actualVersion: 0n,
    });
    expect(
      (await client.appendToStream('s', [event(1), event(2)], { expectedRevision: 0n })).nextExpectedRevision,
    ).toBe(2n);
    expect(await rejection(client.appendToStream('s', event(3), { expectedRevision: 5n }))).toEqual({
      expectedVersion: 5n,
      actualVersion: 2n,
    });
    expect((await client.appendToStream('s', event(3), { expectedRevision: STREAM_EXISTS })).nextExpectedRevision).toBe(
      3n,
    );
    expect((await client.appendToStream('s', event(4), { expectedRevision: ANY })).nextExpectedRevision).toBe(4n);
    expect((await collect(client.readStream('s'))).map((e) => e.event?.data)).toEqual(
      [0, 1, 2, 3, 4].map((n) => ({ n })),
    );
  });

  it('treats a write whose event ids are stored already as done once, and a partial overlap as a conflict', async () => {
    const { client } = await start();
    const [a, b] = [randomUUID(), randomUUID()];
    const original = await client.appendToStream('s', [event(1, a), event(2, b)], { expectedRevision: NO_STREAM });
    expect(await client.appendToStream('s', [event(1, a), event(2, b)], { expectedRevision: NO_STREAM })).toEqual(
      original,
    );
    expect(await client.appendToStream('s', [event(1, a), event(2, b)], { expectedRevision: ANY })).toEqual(original);
    await expect(client.appendToStream('s', [event(2, b), event(3)], { expectedRevision: ANY })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    expect((await collect(client.readStream('s'))).map((e) => e.event?.id)).toEqual([a, b]);
  });

  it('reads a stream forwards and backwards, from a revision and up to a count, and reports a missing one', async () => {
    const { client } = await start();
    await client.appendToStream(
      's',
      [0, 1, 2, 3, 4].map((n) => event(n)),
    );
    const revisions = async (options: Parameters<typeof client.readStream>[1]) =>
      (await collect(client.readStream('s', options))).map((e) => e.event?.revision);
    expect(await revisions({ fromRevision: 2n, maxCount: 2 })).toEqual([2n, 3n]);
    expect(await revisions({ direction: BACKWARDS, fromRevision: END, maxCount: 2 })).toEqual([4n, 3n]);
    expect(await revisions({ direction: BACKWARDS, fromRevision: 1n })).toEqual([1n, 0n]);
    expect(await revisions({ fromRevision: 7n })).toEqual([]);
    await expect(collect(client.readStream('absent'))).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('reads $all from a position (forwards including it, backwards before it), positions growing but not dense', async () => {
    const { client } = await start();
    for (const stream of ['a', 'b', 'a']) await client.appendToStream(stream, event(0));
    const all = (await collect(client.readAll({ fromPosition: START }))).map((e) => e.event!);
    expect(all.map((e) => e.streamId)).toEqual(['$settings', 'a', 'b', 'a']);
    const positions = all.map((e) => e.position.commit);
    expect(positions.every((p, i) => i === 0 || p > positions[i - 1]! + 1n)).toBe(true);
    const at = { commit: positions[2]!, prepare: positions[2]! };
    expect((await collect(client.readAll({ fromPosition: at }))).map((e) => e.event?.position.commit)).toEqual(
      positions.slice(2),
    );
    expect(
      (await collect(client.readAll({ fromPosition: at, direction: BACKWARDS }))).map((e) => e.event?.position.commit),
    ).toEqual(positions.slice(0, 2).reverse());
  });

  it('runs a catch-up subscription to $all into live events, with none missing or twice while writes race it', async () => {
    const { fake, client } = await start();
    for (let n = 0; n < 20; n++) await client.appendToStream('before', event(n));
    const startAfter = fake.log.records[5]!.position;
    const storedAfterStart = fake.log.records.length - 6;
    const subscription = client.subscribeToAll({ fromPosition: { commit: startAfter, prepare: startAfter } });
    const received: bigint[] = [];
    let caughtUpAfter = -1;
    subscription.on('caughtUp', () => (caughtUpAfter = received.length));
    const total = storedAfterStart + 30;
    const allReceived = new Promise<void>((resolve) =>
      subscription.on('data', (resolved) => {
        received.push(resolved.event!.position.commit);
        if (received.length === total) resolve();
      }),
    );
    await Promise.all(Array.from({ length: 30 }, (_, n) => client.appendToStream(`racing-${n % 3}`, event(n))));
    await allReceived;
    await subscription.unsubscribe();
    expect(received).toEqual(fake.log.records.slice(6).map((record) => record.position));
    expect(caughtUpAfter).toBeGreaterThanOrEqual(storedAfterStart);
  });

  it('answers gossip with this node as the alive leader, and advertises BatchAppend unless told not to', async () => {
    const { fake } = await start();
    const cluster = await callUnary<InstanceType<typeof ClusterInfo>>(fake, GossipService);
    expect(cluster.getMembersList().map((m) => [m.getState(), m.getIsAlive(), m.getHttpEndPoint()?.getPort()])).toEqual(
      [[MemberInfo.VNodeState.LEADER, true, fake.port]],
    );

    const advertised = async (target: EsdbProtocolFake) =>
      (await callUnary<InstanceType<typeof SupportedMethods>>(target, ServerFeaturesService))
        .getMethodsList()
        .map((m) => m.getMethodName());
    expect(await advertised(fake)).toContain('BatchAppend');
    expect(await advertised((await start({ batchAppend: false })).fake)).not.toContain('BatchAppend');
  });

  it('answers UNIMPLEMENTED for what it does not fake, such as filtered subscriptions', async () => {
    const { client } = await start();
    const subscription = client.subscribeToAll({ filter: excludeSystemEvents() });
    const failure = await new Promise<unknown>((resolve) => subscription.on('error', resolve));
    expect(String(failure)).toMatch(/not implemented by the protocol fake/);
  });
});
