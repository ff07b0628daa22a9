import { describe, expect, it } from 'vitest';
import { agentAccount, SYSTEM_BANK_ACCOUNT } from '../../src/domain/ledger/accounts.js';
import { apx } from '../../src/domain/money.js';
import { balancesProjection, bankOf, ledgerOf } from '../../src/projections/balances.js';
import { foldRecorded, UndecodableEvent } from '../../src/projections/projection.js';
import { recordedLog } from './support/recorded-log.js';

const ALICE = agentAccount('alice');
const BOB = agentAccount('bob');

const aliceInDebt = () => {
  const log = recordedLog();
  log.record(ALICE, {
    type: 'AgentRegistered',
    data: { agentId: 'alice', name: 'Alice', role: 'analyst', systemPrompt: '', permissions: [], debtLimit: apx('10') },
  });
  log.record(ALICE, {
    type: 'FundsCredited',
    data: { amount: apx('3'), reason: 'opening', from: SYSTEM_BANK_ACCOUNT, to: ALICE },
  });
  log.record(ALICE, {
    type: 'FundsReserved',
    data: { reservationId: 'r1', tool: 'search', amount: apx('2'), correlationId: 'c1' },
  });
  log.record(ALICE, {
    type: 'FundsReserved',
    data: { reservationId: 'r2', tool: 'search', amount: apx('1'), correlationId: 'c2' },
  });
  log.record(ALICE, {
    type: 'ToolCallCharged',
    data: {
      reservationId: 'r1',
      tool: 'search',
      amount: apx('2.5'),
      reservedAmount: apx('2'),
      durationMs: 1200,
      correlationId: 'c1',
      from: ALICE,
      to: SYSTEM_BANK_ACCOUNT,
    },
  });
  const penalty = log.record(ALICE, {
    type: 'PenaltyApplied',
    data: { reason: 'request timed out', amount: apx('5'), correlationId: 'c3', from: ALICE, to: SYSTEM_BANK_ACCOUNT },
  });
  const pip = log.record(ALICE, { type: 'PipInitiated', data: { reason: 'below zero', balance: apx('-4.5') } });
  return { log, penalty, pip };
};

describe('the balances projection', () => {
  it('follows an agent into debt and a PIP, double entry against the bank', () => {
    const { log, penalty, pip } = aliceInDebt();
    const state = foldRecorded(balancesProjection, log.events);
    expect(ledgerOf(state, 'alice')).toEqual({
      agentId: 'alice',
      name: 'Alice',
      role: 'analyst',
      balance: apx('-4.5'),
      reserved: apx('1'),
      debtLimit: apx('10'),
      status: 'pip',
      openPip: { position: pip.position, at: pip.metadata.timestamp, balance: apx('-4.5') },
      suspension: undefined,
      totalCredited: apx('3'),
      totalCharged: apx('2.5'),
      totalPenalties: apx('5'),
      lastMovementPosition: penalty.position,
    });
    expect(bankOf(state)).toEqual({ balance: apx('4.5'), lastMovementPosition: penalty.position });
  });

  it('ends the PIP on PipCompleted and frees released reservations', () => {
    const { log } = aliceInDebt();
    log.record(ALICE, {
      type: 'FundsCredited',
      data: { amount: apx('5'), reason: 'salary', from: SYSTEM_BANK_ACCOUNT, to: ALICE },
    });
    log.record(ALICE, { type: 'PipCompleted', data: { balance: apx('0.5') } });
    log.record(ALICE, {
      type: 'ReservationReleased',
      data: { reservationId: 'r2', amount: apx('1'), reason: 'not run' },
    });
    const alice = ledgerOf(foldRecorded(balancesProjection, log.events), 'alice');
    expect(alice).toMatchObject({
      balance: apx('0.5'),
      reserved: 0n,
      status: 'active',
      openPip: undefined,
      totalCredited: apx('8'),
    });
  });

  it('shows a suspension over a PIP, and the PIP again once reinstated', () => {
    const { log } = aliceInDebt();
    const suspended = log.record(ALICE, {
      type: 'AgentSuspended',
      data: { reason: 'sandbox_escape', detail: 'read /etc' },
    });
    let alice = ledgerOf(foldRecorded(balancesProjection, log.events), 'alice');
    expect(alice?.status).toBe('suspended');
    expect(alice?.suspension).toEqual({
      reason: 'sandbox_escape',
      detail: 'read /etc',
      at: suspended.metadata.timestamp,
    });
    log.record(ALICE, { type: 'AgentReinstated', data: { reason: 'reviewed' } });
    alice = ledgerOf(foldRecorded(balancesProjection, log.events), 'alice');
    expect(alice).toMatchObject({ status: 'pip', suspension: undefined });
  });

  it('keeps the sum over all accounts at zero across agents', () => {
    const log = recordedLog();
    for (const [account, amount] of [
      [ALICE, '10'],
      [BOB, '7.25'],
    ] as const) {
      log.record(account, {
        type: 'FundsCredited',
        data: { amount: apx(amount), reason: 'x', from: SYSTEM_BANK_ACCOUNT, to: account },
      });
    }
    log.record(BOB, {
      type: 'PenaltyApplied',
      data: { reason: 'x', amount: apx('1'), correlationId: 'c', from: BOB, to: SYSTEM_BANK_ACCOUNT },
    });
    const state = foldRecorded(balancesProjection, log.events);
    let sum = bankOf(state).balance;
    for (const agent of state.agents.values()) sum += agent.balance;
    expect(sum).toBe(0n);
    expect(ledgerOf(state, 'bob')?.balance).toBe(apx('6.25'));
    expect(ledgerOf(state, 'carol')).toBeUndefined();
  });

  it('ignores event types it does not know and events of other streams', () => {
    const { log } = aliceInDebt();
    const before = balancesProjection.serialize(foldRecorded(balancesProjection, log.events));
    log.recordForeign(ALICE, 'SomethingFromTheFuture', { amount: '99' });
    log.record('session-1', { type: 'SessionStarted', data: { transport: 'stdio', agent: 'alice' } });
    expect(balancesProjection.serialize(foldRecorded(balancesProjection, log.events))).toBe(before);
  });

  it('refuses (throws) a known event whose data does not decode, rather than skip money', () => {
    const log = recordedLog();
    log.recordForeign(ALICE, 'FundsCredited', { amount: '1e3', reason: 'x', from: SYSTEM_BANK_ACCOUNT, to: ALICE });
    expect(() => foldRecorded(balancesProjection, log.events)).toThrow(UndecodableEvent);
  });

  it('has a pure evolve that leaves the previous state untouched', () => {
    const { log } = aliceInDebt();
    const [first, ...rest] = log.events;
    let state = balancesProjection.evolve(balancesProjection.initialState(), first!);
    for (const event of rest) {
      const before = balancesProjection.serialize(state);
      const next = balancesProjection.evolve(state, event);
      expect(balancesProjection.serialize(state)).toBe(before);
      state = next;
    }
    expect(state).toEqual(foldRecorded(balancesProjection, log.events));
  });
});
