import { describe, expect, it } from 'vitest';
import { agentAccount, SYSTEM_BANK_ACCOUNT } from '../../src/domain/ledger/accounts.js';
import { apx } from '../../src/domain/money.js';
import { accountStatementProjection } from '../../src/projections/account-statement.js';
import { balancesProjection, ledgerOf } from '../../src/projections/balances.js';
import { foldRecorded } from '../../src/projections/projection.js';
import { recordedLog } from './support/recorded-log.js';

const ALICE = agentAccount('alice');
const BOB = agentAccount('bob');

const charge = (account: string, tool: string, amount: string, correlationId: string) =>
  ({
    type: 'ToolCallCharged',
    data: {
      reservationId: `r-${correlationId}`,
      tool,
      amount: apx(amount),
      reservedAmount: apx(amount),
      durationMs: 3,
      correlationId,
      from: account,
      to: SYSTEM_BANK_ACCOUNT,
    },
  }) as const;

describe('the account statement projection', () => {
  it("lists every movement of one agent's money, signed from its side, with a running balance", () => {
    const log = recordedLog();
    log.record(ALICE, {
      type: 'FundsCredited',
      data: { amount: apx('10'), reason: 'opening balance', from: SYSTEM_BANK_ACCOUNT, to: ALICE },
    });
    log.record(BOB, {
      type: 'FundsCredited',
      data: { amount: apx('3'), reason: 'opening balance', from: SYSTEM_BANK_ACCOUNT, to: BOB },
    });
    log.record(ALICE, {
      type: 'FundsReserved',
      data: { reservationId: 'r-1', tool: 'echo', amount: apx('1.5'), correlationId: 's:1' },
    });
    log.record(ALICE, charge(ALICE, 'echo', '1.5', 's:1'));
    log.record(BOB, charge(BOB, 'echo', '1.5', 's:2'));
    log.record(ALICE, {
      type: 'PenaltyApplied',
      data: {
        reason: 'request timed out after 1000 ms',
        amount: apx('5'),
        correlationId: 's:3',
        from: ALICE,
        to: SYSTEM_BANK_ACCOUNT,
      },
    });
    log.record(ALICE, charge(ALICE, 'sleep', '4', 's:4'));

    const statement = foldRecorded(accountStatementProjection('alice'), log.events);
    expect(
      statement.lines.map(({ position, event, amount, balance, tool, correlationId, reason }) => [
        position,
        event,
        amount,
        balance,
        tool,
        correlationId,
        reason,
      ]),
    ).toEqual([
      [0n, 'FundsCredited', apx('10'), apx('10'), undefined, undefined, 'opening balance'],
      [3n, 'ToolCallCharged', apx('-1.5'), apx('8.5'), 'echo', 's:1', undefined],
      [5n, 'PenaltyApplied', apx('-5'), apx('3.5'), undefined, 's:3', 'request timed out after 1000 ms'],
      [6n, 'ToolCallCharged', apx('-4'), apx('-0.5'), 'sleep', 's:4', undefined],
    ]);
    // The last line's balance is the balance the balances projection shows.
    expect(statement.balance).toBe(ledgerOf(foldRecorded(balancesProjection, log.events), 'alice')?.balance);
    const projection = accountStatementProjection('alice');
    expect(projection.deserialize(projection.serialize(statement))).toEqual(statement);
  });
});
