import { randomUUID } from 'node:crypto';
import type { Either } from 'fp-ts/lib/Either.js';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import type { Observable } from 'rxjs';
import { filter, firstValueFrom, take, takeWhile, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppendError, AppendResult, EventStore, NewEvent, RecordedEvent } from '../../src/store/event-store.js';
import { GENESIS_HASH, wrongExpectedVersion } from '../../src/store/event-store.js';
import { eventHash, serializeMetadata } from '../../src/store/hash-chain.js';

export interface ContractOptions {
  /** Every `open()` returns an empty store, so absolute facts (head -1n on an empty log) can be checked. */
  readonly startsEmpty?: boolean;
}

/** A stream name no other test (or earlier run against a shared store) has used. */
const uniqueStream = (category: string): string => `${category}-${randomUUID()}`;

const newEvent = (type: string, data: unknown, id?: string): NewEvent => ({
  ...(id === undefined ? {} : { id }),
  type,
  schemaVersion: 1,
  data,
  metadata: { timestamp: '2026-11-25T10:32:00.000Z', correlationId: 'session-1:42', agent: 'alice' },
});

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
};

const rightOf = (result: Either<AppendError, AppendResult>): AppendResult => {
  if (isLeft(result))
    throw new Error(
      `expected the append to succeed, got ${JSON.stringify(result.left, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`,
    );
  return result.right;
};

const leftOf = (result: Either<AppendError, AppendResult>): AppendError => {
  if (isRight(result)) throw new Error('expected the append to fail with WrongExpectedVersion, but it succeeded');
  return result.left;
};

const revisionsOf = (events: readonly RecordedEvent[]): bigint[] => events.map((event) => event.revision);
const idsOf = (events: readonly RecordedEvent[]): string[] => events.map((event) => event.id);

/** Appended last: a subscription that ends on it fails fast, with a readable diff, on a gap. */
const END_OF_TEST = 'EndOfTest';

/** Collects a subscription's events of the given streams up to and including an END_OF_TEST event. */
const receiveUntilEnd = (events: Observable<RecordedEvent>, streams: ReadonlySet<string>): Promise<RecordedEvent[]> =>
  firstValueFrom(
    events.pipe(
      filter((event) => streams.has(event.stream)),
      takeWhile((event) => event.type !== END_OF_TEST, true),
      toArray(),
    ),
  );

const isStrictlyIncreasing = (values: readonly bigint[]): boolean =>
  values.every((v, i) => i === 0 || v > values[i - 1]!);

/**
 * The behaviour every EventStore adapter must show. Engine-neutral: it talks only to the port, and
 * uses fresh stream names per test so it also runs against a shared, non-empty store.
 */
export const describeEventStoreContract = (
  label: string,
  open: () => Promise<EventStore> | EventStore,
  options: ContractOptions = {},
): void => {
  describe(`EventStore contract: ${label}`, () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const appendSeq = async (stream: string, from: number, count: number): Promise<AppendResult> => {
      let last: AppendResult | undefined;
      for (let seq = from; seq < from + count; seq++)
        last = rightOf(await store.append(stream, 'any', [newEvent('Counted', { seq })]));
      return last!;
    };

    it.runIf(options.startsEmpty === true)('an empty store has no events, no heads and head position -1', async () => {
      expect(await store.headPosition()).toBe(-1n);
      expect(await collect(store.readAll())).toEqual([]);
      expect(await collect(store.streamHeads())).toEqual([]);
    });

    it('round-trips events with bigint revisions and positions', async () => {
      const stream = uniqueStream('roundtrip');
      const id = randomUUID();
      const result = rightOf(
        await store.append(stream, 'no_stream', [
          newEvent('AgentCredited', { amount: 100, note: 'ünïcødé ✓ 🎉', nested: [1, null, true] }, id),
          newEvent('AgentCharged', { amount: 7.5 }),
        ]),
      );
      expect(result.nextExpectedRevision).toBe(1n);
      expect(typeof result.position).toBe('bigint');

      const events = await collect(store.readStream(stream));
      expect(revisionsOf(events)).toEqual([0n, 1n]);
      expect(events.every((event) => typeof event.position === 'bigint' && event.stream === stream)).toBe(true);
      expect(events[1]!.position).toBe(result.position);
      expect(events[0]!.position < events[1]!.position).toBe(true);
      expect(events[0]).toMatchObject({ id, type: 'AgentCredited', schemaVersion: 1 });
      expect(events[0]!.data).toEqual({ amount: 100, note: 'ünïcødé ✓ 🎉', nested: [1, null, true] });
      expect(events[0]!.metadata).toEqual(newEvent('x', null).metadata);
      expect(events[1]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(await store.headPosition()).toBeGreaterThanOrEqual(result.position);
    });

    it('reads nothing from a stream that does not exist', async () => {
      expect(await collect(store.readStream(uniqueStream('absent')))).toEqual([]);
      expect(await collect(store.readStream(uniqueStream('absent'), { direction: 'backwards' }))).toEqual([]);
    });

    it('rejects an invalid stream name and writes nothing', async () => {
      const before = await store.headPosition();
      await expect(store.append('Not A Stream!', 'any', [newEvent('X', {})])).rejects.toThrow();
      expect(await store.headPosition()).toBe(before);
    });

    describe('expected revision', () => {
      it('no_stream holds only for a new stream', async () => {
        const stream = uniqueStream('expect');
        rightOf(await store.append(stream, 'no_stream', [newEvent('A', {})]));
        const error = leftOf(await store.append(stream, 'no_stream', [newEvent('B', {})]));
        expect(error).toEqual(wrongExpectedVersion(stream, 'no_stream', 0n));
      });

      it('stream_exists holds only for an existing stream', async () => {
        const stream = uniqueStream('expect');
        expect(leftOf(await store.append(stream, 'stream_exists', [newEvent('A', {})]))).toEqual(
          wrongExpectedVersion(stream, 'stream_exists', 'no_stream'),
        );
        rightOf(await store.append(stream, 'any', [newEvent('A', {})]));
        expect(rightOf(await store.append(stream, 'stream_exists', [newEvent('B', {})])).nextExpectedRevision).toBe(1n);
      });

      it('any holds whether or not the stream exists', async () => {
        const stream = uniqueStream('expect');
        expect(rightOf(await store.append(stream, 'any', [newEvent('A', {})])).nextExpectedRevision).toBe(0n);
        expect(rightOf(await store.append(stream, 'any', [newEvent('B', {})])).nextExpectedRevision).toBe(1n);
      });

      it('an exact revision holds only when it is the head, and reports the actual head otherwise', async () => {
        const stream = uniqueStream('expect');
        expect(leftOf(await store.append(stream, 0n, [newEvent('A', {})]))).toEqual(
          wrongExpectedVersion(stream, 0n, 'no_stream'),
        );
        rightOf(await store.append(stream, 'no_stream', [newEvent('A', {}), newEvent('B', {})]));
        expect(leftOf(await store.append(stream, 0n, [newEvent('C', {})]))).toEqual(
          wrongExpectedVersion(stream, 0n, 1n),
        );
        expect(leftOf(await store.append(stream, 5n, [newEvent('C', {})]))).toEqual(
          wrongExpectedVersion(stream, 5n, 1n),
        );
        expect(rightOf(await store.append(stream, 1n, [newEvent('C', {})])).nextExpectedRevision).toBe(2n);
      });

      it('writes nothing when the expectation fails', async () => {
        const stream = uniqueStream('expect');
        rightOf(await store.append(stream, 'no_stream', [newEvent('A', { n: 1 })]));
        const headBefore = await store.headPosition();
        leftOf(await store.append(stream, 'no_stream', [newEvent('B', { n: 2 }), newEvent('C', { n: 3 })]));
        leftOf(await store.append(stream, 7n, [newEvent('D', { n: 4 })]));
        expect((await collect(store.readStream(stream))).map((event) => event.type)).toEqual(['A']);
        expect(await store.headPosition()).toBe(headBefore);
      });
    });

    it('reads a stream forwards, backwards, from a revision and up to a count', async () => {
      const stream = uniqueStream('read');
      await appendSeq(stream, 0, 5);
      const read = async (readOptions: Parameters<EventStore['readStream']>[1]) =>
        revisionsOf(await collect(store.readStream(stream, readOptions)));
      expect(await read({})).toEqual([0n, 1n, 2n, 3n, 4n]);
      expect(await read({ direction: 'backwards' })).toEqual([4n, 3n, 2n, 1n, 0n]);
      expect(await read({ fromRevision: 2n })).toEqual([2n, 3n, 4n]);
      expect(await read({ direction: 'backwards', fromRevision: 2n })).toEqual([2n, 1n, 0n]);
      expect(await read({ maxCount: 2 })).toEqual([0n, 1n]);
      expect(await read({ direction: 'backwards', maxCount: 2 })).toEqual([4n, 3n]);
      expect(await read({ fromRevision: 1n, maxCount: 3 })).toEqual([1n, 2n, 3n]);
      expect(await read({ direction: 'backwards', fromRevision: 3n, maxCount: 2 })).toEqual([3n, 2n]);
      expect(await read({ fromRevision: 9n })).toEqual([]);
      expect(await read({ maxCount: 0 })).toEqual([]);
    });

    it('reads the global log after a position, up to a count, in position order', async () => {
      const [a, b] = [uniqueStream('all'), uniqueStream('all')];
      const start = await store.headPosition();
      for (let seq = 0; seq < 3; seq++) {
        rightOf(await store.append(a, 'any', [newEvent('Counted', { seq })]));
        rightOf(await store.append(b, 'any', [newEvent('Counted', { seq })]));
      }
      const ours = (await collect(store.readAll({ after: start }))).filter((e) => e.stream === a || e.stream === b);
      expect(ours.map((e) => [e.stream, e.revision])).toEqual([
        [a, 0n],
        [b, 0n],
        [a, 1n],
        [b, 1n],
        [a, 2n],
        [b, 2n],
      ]);
      expect(isStrictlyIncreasing(ours.map((e) => e.position))).toBe(true);

      const window = await collect(store.readAll({ after: ours[1]!.position, maxCount: 2 }));
      expect(idsOf(window)).toEqual(idsOf(ours.slice(2, 4)));
      expect(await collect(store.readAll({ after: ours[5]!.position, maxCount: 0 }))).toEqual([]);
    });

    it('links each event to the previous one in its stream by a hash that recomputes', async () => {
      const stream = uniqueStream('chain');
      rightOf(await store.append(stream, 'no_stream', [newEvent('A', { n: 1 }), newEvent('B', { s: 'x\ny' })]));
      rightOf(await store.append(uniqueStream('chain'), 'no_stream', [newEvent('Other', {})]));
      rightOf(await store.append(stream, 1n, [newEvent('C', { list: [1.25, -0, 1e21] })]));
      const events = await collect(store.readStream(stream));
      expect(events[0]!.prevHash).toBe(GENESIS_HASH);
      events.forEach((event, index) => {
        if (index > 0) expect(event.prevHash).toBe(events[index - 1]!.hash);
        expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
        const recomputed = eventHash({
          prevHash: event.prevHash,
          stream: event.stream,
          revision: event.revision,
          type: event.type,
          schemaVersion: event.schemaVersion,
          dataJson: JSON.stringify(event.data),
          metadataJson: serializeMetadata(event.metadata),
        });
        expect(recomputed).toBe(event.hash);
      });
    });

    it('lets exactly one of 50 concurrent appends at the same expected revision win', async () => {
      const stream = uniqueStream('contended');
      rightOf(await store.append(stream, 'no_stream', [newEvent('Opened', {})]));
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, contender) => store.append(stream, 0n, [newEvent('Debited', { contender })])),
      );
      expect(results.filter(isRight)).toHaveLength(1);
      for (const result of results.filter(isLeft)) expect(result.left).toEqual(wrongExpectedVersion(stream, 0n, 1n));
      expect(revisionsOf(await collect(store.readStream(stream)))).toEqual([0n, 1n]);
    });

    describe('subscribeAll', () => {
      it('catches up, then goes live with no gap and no duplicate while appends race the catch-up', async () => {
        const streams = [uniqueStream('live'), uniqueStream('live'), uniqueStream('live')];
        const ours = new Set(streams);
        const start = await store.headPosition();
        const [storedBefore, racing] = [10, 20];
        await Promise.all(streams.map((stream) => appendSeq(stream, 0, storedBefore)));

        const received = receiveUntilEnd(store.subscribeAll(start), ours);
        await Promise.all(streams.map((stream) => appendSeq(stream, storedBefore, racing)));
        rightOf(await store.append(streams[0]!, 'any', [newEvent(END_OF_TEST, {})]));
        const events = (await received).filter((event) => event.type !== END_OF_TEST);

        const stored = (await collect(store.readAll({ after: start }))).filter(
          (event) => ours.has(event.stream) && event.type !== END_OF_TEST,
        );
        expect(stored).toHaveLength(streams.length * (storedBefore + racing));
        expect(idsOf(events)).toEqual(idsOf(stored));
        expect(isStrictlyIncreasing(events.map((event) => event.position))).toBe(true);
        for (const stream of streams) {
          const seqs = events
            .filter((event) => event.stream === stream)
            .map((event) => (event.data as { seq: number }).seq);
          expect(seqs).toEqual(Array.from({ length: storedBefore + racing }, (_, seq) => seq));
        }
      });

      it('gives subscribers that join at different moments, while appends go on, the same exact sequence', async () => {
        const stream = uniqueStream('live');
        const start = await store.headPosition();
        const total = 40;
        const subscribe = (after: bigint) => receiveUntilEnd(store.subscribeAll(after), new Set([stream]));
        const fromStart: Promise<RecordedEvent[]>[] = [subscribe(start)];
        for (let seq = 0; seq < total; seq++) {
          await store.append(stream, 'any', [newEvent('Counted', { seq })]);
          // Joining right after a commit, before anyone has looked for it, is where gaps and duplicates hide.
          if (seq % 6 === 3) fromStart.push(subscribe(start));
        }
        rightOf(await store.append(stream, 'any', [newEvent(END_OF_TEST, {})]));
        const stored = await collect(store.readStream(stream));
        for (const received of fromStart) expect(idsOf(await received)).toEqual(idsOf(stored));
      });

      it('starts strictly after the given position', async () => {
        const stream = uniqueStream('live');
        await appendSeq(stream, 0, 4);
        const stored = await collect(store.readStream(stream));
        const received = firstValueFrom(
          store.subscribeAll(stored[1]!.position).pipe(
            filter((event) => event.stream === stream),
            take(3),
            toArray(),
          ),
        );
        await appendSeq(stream, 4, 1);
        expect(revisionsOf(await received)).toEqual([2n, 3n, 4n]);
      });

      it('gives two live subscribers the same sequence', async () => {
        const stream = uniqueStream('live');
        const start = await store.headPosition();
        const subscribeOurs = () =>
          firstValueFrom(
            store.subscribeAll(start).pipe(
              filter((event) => event.stream === stream),
              take(6),
              toArray(),
            ),
          );
        const [first, second] = [subscribeOurs(), subscribeOurs()];
        await appendSeq(stream, 0, 6);
        expect(idsOf(await first)).toEqual(idsOf(await second));
        expect(revisionsOf(await first)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
      });
    });

    it('lists every stream head in stream-name order', async () => {
      const prefix = `heads-${randomUUID()}`;
      const [a, b, c] = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
      await appendSeq(c, 0, 1);
      await appendSeq(a, 0, 3);
      await appendSeq(b, 0, 2);
      const heads = await collect(store.streamHeads());
      const names = heads.map((head) => head.stream);
      expect(names.every((name, i) => i === 0 || names[i - 1]! < name)).toBe(true);
      for (const [stream, revision] of [
        [a, 2n],
        [b, 1n],
        [c, 0n],
      ] as const) {
        const last = (await collect(store.readStream(stream, { direction: 'backwards', maxCount: 1 })))[0]!;
        expect(heads.find((head) => head.stream === stream)).toEqual({ stream, revision, hash: last.hash });
      }
    });

    describe('idempotent append by event id', () => {
      it('returns the original result when the same events are appended again', async () => {
        const stream = uniqueStream('idem');
        rightOf(await store.append(stream, 'no_stream', [newEvent('Opened', {})]));
        const events = [newEvent('A', { n: 1 }, randomUUID()), newEvent('B', { n: 2 }, randomUUID())];
        const original = rightOf(await store.append(stream, 0n, events));
        const retried = rightOf(await store.append(stream, 0n, events));
        expect(retried).toEqual(original);
        expect(revisionsOf(await collect(store.readStream(stream)))).toEqual([0n, 1n, 2n]);
      });

      it('refuses a partial overlap with stored events and writes nothing', async () => {
        const stream = uniqueStream('idem');
        const [first, second] = [newEvent('A', {}, randomUUID()), newEvent('B', {}, randomUUID())];
        rightOf(await store.append(stream, 'no_stream', [first, second]));
        const outcome = await store.append(stream, 'any', [second, newEvent('C', {}, randomUUID())]).then(
          (result) => (isRight(result) ? 'written' : 'refused'),
          () => 'refused',
        );
        expect(outcome).toBe('refused');
        const reordered = await store.append(stream, 'any', [second, first]).then(
          (result) => (isRight(result) ? 'written' : 'refused'),
          () => 'refused',
        );
        expect(reordered).toBe('refused');
        expect((await collect(store.readStream(stream))).map((event) => event.type)).toEqual(['A', 'B']);
      });
    });
  });
};
