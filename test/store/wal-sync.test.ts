import { describe, expect, it } from 'vitest';
import { WalSync } from '../../src/store/sqlite/wal-sync.js';

/** A datasync the test finishes by hand, counting how many were started. */
const controlledSync = () => {
  const started: (() => void)[] = [];
  return {
    started,
    datasync: () => new Promise<void>((resolve) => started.push(resolve)),
    finish: (index: number) => started[index]!(),
  };
};

const settledFlag = (promise: Promise<void>) => {
  const flag = { settled: false };
  void promise.then(() => {
    flag.settled = true;
  });
  return flag;
};

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('WalSync', () => {
  it('acknowledges a commit only after a sync that started after it, and shares one follow-up sync per burst', async () => {
    const control = controlledSync();
    const wal = new WalSync('/nonexistent-wal', control.datasync);
    const first = settledFlag(wal.sync());
    const second = settledFlag(wal.sync());
    const third = settledFlag(wal.sync());
    await turn();
    expect(control.started).toHaveLength(1);

    control.finish(0);
    await turn();
    expect(first.settled).toBe(true);
    // The second and third came while the first sync ran: they wait for a sync that started after them.
    expect(second.settled).toBe(false);
    expect(third.settled).toBe(false);
    expect(control.started).toHaveLength(2);

    control.finish(1);
    await turn();
    expect(second.settled).toBe(true);
    expect(third.settled).toBe(true);
    expect(control.started).toHaveLength(2);
    await wal.close();
  });

  it('starts a new sync for a commit made after the last one finished', async () => {
    const control = controlledSync();
    const wal = new WalSync('/nonexistent-wal', control.datasync);
    const first = wal.sync();
    control.finish(0);
    await first;
    const later = settledFlag(wal.sync());
    await turn();
    expect(control.started).toHaveLength(2);
    expect(later.settled).toBe(false);
    control.finish(1);
    await turn();
    expect(later.settled).toBe(true);
  });
});
