import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentAccount, SYSTEM_BANK_ACCOUNT } from '../../src/domain/ledger/accounts.js';
import { apx } from '../../src/domain/money.js';
import { evaluateAsOf } from '../../src/projections/as-of.js';
import { balancesProjection, ledgerOf } from '../../src/projections/balances.js';
import { foldRecorded } from '../../src/projections/projection.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { arbitraryLog } from './support/arbitrary-log.js';
import { recordedLog, START_TIME_MS } from './support/recorded-log.js';

async function* asAsync(events: readonly RecordedEvent[]): AsyncIterable<RecordedEvent> {
  yield* events;
}

const ALICE = agentAccount('alice');
const credit = (amount: string) =>
  ({
    type: 'FundsCredited',
    data: { amount: apx(amount), reason: 'x', from: SYSTEM_BANK_ACCOUNT, to: ALICE },
  }) as const;

/** Alice is credited 1, 2 and 4 APX at 10:00:01, 10:00:02 and 10:00:03. */
const aliceCredits = () => {
  const log = recordedLog();
  log.record(ALICE, credit('1'), { atMs: START_TIME_MS + 1000 });
  log.record(ALICE, credit('2'), { atMs: START_TIME_MS + 2000 });
  log.record(ALICE, credit('4'), { atMs: START_TIME_MS + 3000 });
  return log.events;
};

const balanceAsOf = async (at: Parameters<typeof evaluateAsOf>[2]) =>
  ledgerOf(await evaluateAsOf(balancesProjection, asAsync(aliceCredits()), at), 'alice')?.balance;

describe('evaluateAsOf', () => {
  it('folds up to and including a position', async () => {
    expect(await balanceAsOf({ position: -1n })).toBeUndefined();
    expect(await balanceAsOf({ position: 0n })).toBe(apx('1'));
    expect(await balanceAsOf({ position: 1n })).toBe(apx('3'));
    expect(await balanceAsOf({ position: 99n })).toBe(apx('7'));
  });

  it('folds up to and including a moment', async () => {
    expect(await balanceAsOf({ time: new Date(START_TIME_MS + 999) })).toBeUndefined();
    expect(await balanceAsOf({ time: new Date(START_TIME_MS + 2000) })).toBe(apx('3'));
    expect(await balanceAsOf({ time: new Date(START_TIME_MS + 2999) })).toBe(apx('3'));
    expect(await balanceAsOf({ time: new Date(START_TIME_MS + 3000) })).toBe(apx('7'));
  });

  it('stops at the first event stamped later, so the answer is a state the log really passed through', async () => {
    const log = recordedLog();
    log.record(ALICE, credit('1'), { atMs: START_TIME_MS + 1000 });
    log.record(ALICE, credit('2'), { atMs: START_TIME_MS + 5000 });
    // written after the 5 s one, by a writer whose clock is behind
    log.record(ALICE, credit('4'), { atMs: START_TIME_MS + 2000 });
    const state = await evaluateAsOf(balancesProjection, asAsync(log.events), { time: new Date(START_TIME_MS + 3000) });
    expect(ledgerOf(state, 'alice')?.balance).toBe(apx('1'));
  });

  it('equals folding the prefix of the log, for any log and position', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryLog(60), fc.nat(70), async (events, cut) => {
        const asOf = await evaluateAsOf(balancesProjection, asAsync(events), { position: BigInt(cut) });
        const prefix = foldRecorded(balancesProjection, events.slice(0, cut + 1));
        expect(balancesProjection.serialize(asOf)).toBe(balancesProjection.serialize(prefix));
      }),
      { numRuns: 60 },
    );
  });
});
