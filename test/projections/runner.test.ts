import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/domain/events.js';
import { agentAccount, SYSTEM_BANK_ACCOUNT } from '../../src/domain/ledger/accounts.js';
import { apx } from '../../src/domain/money.js';
import { balancesProjection, ledgerOf } from '../../src/projections/balances.js';
import { createInMemoryCheckpointStore } from '../../src/projections/checkpoint-store.js';
import { foldRecorded, type Projection, UndecodableEvent } from '../../src/projections/projection.js';
import { checkpointNameOf, ProjectionStopped, runProjection } from '../../src/projections/runner.js';
import type { EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { toNewEvent } from './support/recorded-log.js';

const ALICE = agentAccount('alice');
const credit = (amount: string): DomainEvent => ({
  type: 'FundsCredited',
  data: { amount: apx(amount), reason: 'salary', from: SYSTEM_BANK_ACCOUNT, to: ALICE },
});

const stores: EventStore[] = [];
const openStore = (): EventStore => {
  const store = openSqliteStore({ path: ':memory:' });
  stores.push(store);
  return store;
};
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** Appends `count` credits of 1 APX to alice, one append each. */
const appendCredits = async (store: EventStore, count: number): Promise<void> => {
  for (let n = 0; n < count; n++) await store.append(ALICE, 'any', [toNewEvent(credit('1'))]);
};

const readAll = async (store: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
};

/** An in-memory checkpoint store that also lists the positions saved, in order. */
const recordingCheckpoints = () => {
  const inner = createInMemoryCheckpointStore();
  const saved: bigint[] = [];
  return {
    saved,
    load: inner.load,
    save: async (name: string, position: bigint, stateJson: string) => {
      saved.push(position);
      await inner.save(name, position, stateJson);
    },
  };
};

/** The same projection, counting the events it folds. */
const counting = <State>(projection: Projection<State>) => {
  const counter = { folded: 0 };
  const wrapped: Projection<State> = {
    ...projection,
    evolveInPlace: (state, event) => {
      counter.folded += 1;
      projection.evolveInPlace(state, event);
    },
  };
  return { wrapped, counter };
};

describe('runProjection over the SQLite store', () => {
  it('catches up with the log, then follows live appends', async () => {
    const store = openStore();
    await appendCredits(store, 5);
    const running = runProjection(store, balancesProjection, createInMemoryCheckpointStore());
    await running.caughtUp;
    expect(ledgerOf(running.current(), 'alice')?.balance).toBe(apx('5'));
    expect(running.position()).toBe(await store.headPosition());

    const seven = firstValueFrom(
      running.state$.pipe(filter((state) => ledgerOf(state, 'alice')?.balance === apx('7'))),
    );
    await appendCredits(store, 2);
    await seven;
    expect(ledgerOf(running.current(), 'alice')?.balance).toBe(apx('7'));
    await running.stop();
  });

  it('hands out snapshots that later events do not change', async () => {
    const store = openStore();
    await appendCredits(store, 1);
    const running = runProjection(store, balancesProjection, createInMemoryCheckpointStore());
    await running.caughtUp;
    const before = running.current();
    const two = firstValueFrom(running.state$.pipe(filter((state) => ledgerOf(state, 'alice')?.balance === apx('2'))));
    await appendCredits(store, 1);
    await two;
    expect(ledgerOf(before, 'alice')?.balance).toBe(apx('1'));
    await running.stop();
  });

  it('checkpoints every N events and on stop, and resumes from the checkpoint', async () => {
    const store = openStore();
    const checkpoints = recordingCheckpoints();
    await appendCredits(store, 7);
    const first = runProjection(store, balancesProjection, checkpoints, { checkpointEvery: 3 });
    await first.caughtUp;
    await first.stop();
    // 7 events, every 3: checkpoints after the 3rd and the 6th; the stop writes the 7th.
    const positions = (await readAll(store)).map((event) => event.position);
    expect(checkpoints.saved).toEqual([positions[2], positions[5], positions[6]]);

    await appendCredits(store, 4);
    const { wrapped, counter } = counting(balancesProjection);
    const second = runProjection(store, wrapped, checkpoints);
    await second.caughtUp;
    expect(counter.folded).toBe(4);
    expect(balancesProjection.serialize(second.current())).toBe(
      balancesProjection.serialize(foldRecorded(balancesProjection, await readAll(store))),
    );
    expect(ledgerOf(second.current(), 'alice')?.balance).toBe(apx('11'));
    await second.stop();
  });

  it('ignores the checkpoint of another version of the projection', async () => {
    const store = openStore();
    const checkpoints = createInMemoryCheckpointStore();
    await appendCredits(store, 3);
    await checkpoints.save('balances@v0', 2n, '{"not":"this shape"}');
    const running = runProjection(store, balancesProjection, checkpoints);
    await running.caughtUp;
    expect(ledgerOf(running.current(), 'alice')?.balance).toBe(apx('3'));
    await running.stop();
  });

  it('is caught up at once on an empty log, and completes state$ on stop', async () => {
    const store = openStore();
    const running = runProjection(store, balancesProjection, createInMemoryCheckpointStore());
    await running.caughtUp;
    expect(running.position()).toBe(-1n);
    const emitted = lastValueFrom(running.state$.pipe(toArray()));
    await running.stop();
    expect((await emitted).length).toBeGreaterThanOrEqual(1);
  });

  it('fails loudly on an event it cannot decode, and never checkpoints past it', async () => {
    const store = openStore();
    const checkpoints = createInMemoryCheckpointStore();
    await appendCredits(store, 1);
    await store.append(ALICE, 'any', [
      {
        type: 'FundsCredited',
        schemaVersion: 1,
        data: { amount: 'lots' },
        metadata: { timestamp: new Date().toISOString() },
      },
    ]);
    const running = runProjection(store, balancesProjection, checkpoints, { checkpointEvery: 1 });
    await expect(running.caughtUp).rejects.toBeInstanceOf(UndecodableEvent);
    await expect(firstValueFrom(running.state$)).rejects.toBeInstanceOf(UndecodableEvent);
    await running.stop();
    const [good] = await readAll(store);
    expect((await checkpoints.load(checkpointNameOf(balancesProjection)))?.position).toBe(good?.position);
  });

  it('rejects caughtUp when stopped before catching up', async () => {
    const store = openStore();
    await appendCredits(store, 1);
    const running = runProjection(store, balancesProjection, createInMemoryCheckpointStore());
    const stopped = running.stop();
    await expect(running.caughtUp).rejects.toBeInstanceOf(ProjectionStopped);
    await stopped;
  });
});
