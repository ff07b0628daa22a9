import { describe, expect, it } from 'vitest';
import { REQUEST_TIMEOUT_PENALTY, requestTimeoutPenalty } from '../../src/domain/ledger/commands.js';
import { agentLedgerDecider } from '../../src/domain/ledger/decider.js';
import type { LedgerEvent } from '../../src/domain/ledger/events.js';
import { apx } from '../../src/domain/money.js';
import { deciderSpec } from './support/decider-spec.js';

const given = deciderSpec(agentLedgerDecider);
const ALICE = 'agent-alice';
const BANK = 'system-bank';

const registered = (debtLimit = '0'): LedgerEvent => ({
  type: 'AgentRegistered',
  data: {
    agentId: 'alice',
    name: 'Alice',
    role: 'analyst',
    systemPrompt: 'Be precise.',
    permissions: ['search'],
    debtLimit: apx(debtLimit),
  },
});
const credited = (amount: string, reason = 'salary'): LedgerEvent => ({
  type: 'FundsCredited',
  data: { amount: apx(amount), reason, from: BANK, to: ALICE },
});
const reserved = (reservationId: string, amount: string, tool = 'search'): LedgerEvent => ({
  type: 'FundsReserved',
  data: { reservationId, tool, amount: apx(amount), correlationId: `s1:${reservationId}` },
});
const charged = (reservationId: string, amount: string, reservedAmount: string, tool = 'search'): LedgerEvent => ({
  type: 'ToolCallCharged',
  data: {
    reservationId,
    tool,
    amount: apx(amount),
    reservedAmount: apx(reservedAmount),
    durationMs: 1500,
    correlationId: `s1:${reservationId}`,
    from: ALICE,
    to: BANK,
  },
});
const suspendedBankrupt: LedgerEvent = {
  type: 'AgentSuspended',
  data: { reason: 'bankrupt', detail: 'over the limit' },
};
const reserve = (reservationId: string, amount: string) =>
  ({
    type: 'ReserveFunds',
    data: { reservationId, tool: 'search', amount: apx(amount), correlationId: `s1:${reservationId}` },
  }) as const;
const charge = (reservationId: string, amount: string) =>
  ({ type: 'ChargeToolCall', data: { reservationId, amount: apx(amount), durationMs: 1500 } }) as const;

describe('RegisterAgent', () => {
  const register = (openingBalance?: string) =>
    ({
      type: 'RegisterAgent',
      data: {
        agentId: 'alice',
        name: 'Alice',
        role: 'analyst',
        systemPrompt: 'Be precise.',
        permissions: ['search'],
        debtLimit: apx('0'),
        ...(openingBalance === undefined ? {} : { openingBalance: apx(openingBalance) }),
      },
    }) as const;

  it('registers a new agent', () => given([]).when(register()).then([registered()]));
  it('credits an opening balance from the bank', () =>
    given([])
      .when(register('100'))
      .then([registered(), credited('100', 'opening balance')]));
  it('refuses to register an agent twice', () =>
    given([registered()]).when(register()).then({ code: 'AGENT_ALREADY_REGISTERED' }));
});

describe('CreditFunds', () => {
  it('moves money from the bank to the agent', () =>
    given([registered()])
      .when({ type: 'CreditFunds', data: { amount: apx('12.5'), reason: 'salary' } })
      .then([credited('12.5')]));
  it('refuses an unknown agent', () =>
    given([])
      .when({ type: 'CreditFunds', data: { amount: apx('1'), reason: 'salary' } })
      .then({ code: 'AGENT_NOT_FOUND' }));
  it('refuses a credit of zero', () =>
    given([registered()])
      .when({ type: 'CreditFunds', data: { amount: 0n, reason: 'nothing' } })
      .then({ code: 'INVALID_AMOUNT' }));
  it('completes the PIP when the balance is back to zero or more', () =>
    given([
      registered('10'),
      reserved('r1', '0'),
      charged('r1', '4', '0'),
      { type: 'PipInitiated', data: { reason: 'x', balance: apx('-4') } },
    ])
      .when({ type: 'CreditFunds', data: { amount: apx('4'), reason: 'salary' } })
      .then([credited('4'), { type: 'PipCompleted', data: { balance: 0n } }]));
  it('keeps the PIP open while the balance stays below zero', () =>
    given([
      registered('10'),
      reserved('r1', '0'),
      charged('r1', '4', '0'),
      { type: 'PipInitiated', data: { reason: 'x', balance: apx('-4') } },
    ])
      .when({ type: 'CreditFunds', data: { amount: apx('3.999999'), reason: 'salary' } })
      .then([credited('3.999999')]));
});

describe('ReserveFunds', () => {
  it('reserves what balance + debt limit − reserved allows, exactly', () =>
    given([registered('5'), credited('10'), reserved('r1', '4')])
      .when(reserve('r2', '11'))
      .then([reserved('r2', '11')]));
  it('refuses one micro-APX more with INSUFFICIENT_FUNDS', () =>
    given([registered('5'), credited('10'), reserved('r1', '4')])
      .when(reserve('r2', '11.000001'))
      .then({ code: 'INSUFFICIENT_FUNDS', details: { required: '11.000001', available: '11.000000' } }));
  it('counts released reservations as available again', () =>
    given([
      registered(),
      credited('10'),
      reserved('r1', '10'),
      { type: 'ReservationReleased', data: { reservationId: 'r1', amount: apx('10'), reason: 'tool not run' } },
    ])
      .when(reserve('r2', '10'))
      .then([reserved('r2', '10')]));
  it('refuses an unregistered agent with AGENT_NOT_FOUND', () =>
    given([]).when(reserve('r1', '1')).then({ code: 'AGENT_NOT_FOUND' }));
  it('refuses a bankrupt agent with AGENT_SUSPENDED, naming AGENT_BANKRUPT as the cause', () =>
    given([registered(), credited('100'), suspendedBankrupt])
      .when(reserve('r1', '1'))
      .then({ code: 'AGENT_SUSPENDED', details: { reason: 'bankrupt', cause: 'AGENT_BANKRUPT' } }));
  it('refuses a reservation id that is already open', () =>
    given([registered(), credited('10'), reserved('r1', '1')])
      .when(reserve('r1', '1'))
      .then({ code: 'DUPLICATE_RESERVATION_ID' }));
});

describe('ChargeToolCall', () => {
  it('releases the reservation and charges the actual cost in full, even above the reservation', () =>
    given([registered(), credited('10'), reserved('r1', '2')])
      .when(charge('r1', '3'))
      .then([charged('r1', '3', '2')]));
  it('refuses a duration that JSON could not record (negative, NaN, Infinity)', () => {
    for (const durationMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      given([registered(), credited('10'), reserved('r1', '2')])
        .when({ type: 'ChargeToolCall', data: { reservationId: 'r1', amount: apx('1'), durationMs } })
        .then({ code: 'INVALID_DURATION' });
    }
  });
  it('refuses an unknown reservation', () =>
    given([registered(), credited('10')])
      .when(charge('r9', '1'))
      .then({ code: 'RESERVATION_NOT_FOUND' }));
  it('refuses to settle a reservation twice', () =>
    given([registered(), credited('10'), reserved('r1', '2'), charged('r1', '2', '2')])
      .when(charge('r1', '2'))
      .then({ code: 'RESERVATION_NOT_FOUND' }));
  it('refuses a late completion after the reservation was released by a timeout', () =>
    given([
      registered(),
      credited('10'),
      reserved('r1', '2'),
      { type: 'ReservationReleased', data: { reservationId: 'r1', amount: apx('2'), reason: 'request timed out' } },
    ])
      .when(charge('r1', '2'))
      .then({ code: 'RESERVATION_NOT_FOUND' }));
  it('charges into debt and opens a PIP when the balance first falls below zero', () =>
    given([registered('10'), credited('1'), reserved('r1', '1')])
      .when(charge('r1', '3'))
      .then([
        charged('r1', '3', '1'),
        {
          type: 'PipInitiated',
          data: {
            reason: 'balance fell below zero after tool call "search" was charged 3.000000 APX',
            balance: apx('-2'),
          },
        },
      ]));
  it('opens no second PIP while one is open', () =>
    given([
      registered('10'),
      reserved('r1', '1'),
      charged('r1', '1', '1'),
      { type: 'PipInitiated', data: { reason: 'x', balance: apx('-1') } },
      reserved('r2', '1'),
    ])
      .when(charge('r2', '1'))
      .then([charged('r2', '1', '1')]));
  it('opens a new PIP in a new insolvency episode', () =>
    given([
      registered('10'),
      reserved('r1', '1'),
      charged('r1', '1', '1'),
      { type: 'PipInitiated', data: { reason: 'x', balance: apx('-1') } },
      credited('1'),
      { type: 'PipCompleted', data: { balance: 0n } },
      reserved('r2', '1'),
    ])
      .when(charge('r2', '1'))
      .then([
        charged('r2', '1', '1'),
        { type: 'PipInitiated', data: { reason: expect.any(String), balance: apx('-1') } },
      ]));
  it('suspends the agent as bankrupt when the balance falls below −debtLimit', () =>
    given([registered('2'), reserved('r1', '2')])
      .when(charge('r1', '2.000001'))
      .then([
        charged('r1', '2.000001', '2'),
        { type: 'PipInitiated', data: { reason: expect.any(String), balance: apx('-2.000001') } },
        { type: 'AgentSuspended', data: { reason: 'bankrupt', detail: expect.stringContaining('-2.000001') } },
      ]));
  it('does not suspend at exactly −debtLimit', () =>
    given([registered('2'), reserved('r1', '2')])
      .when(charge('r1', '2'))
      .then([
        charged('r1', '2', '2'),
        { type: 'PipInitiated', data: { reason: expect.any(String), balance: apx('-2') } },
      ]));
  it('still settles a suspended agent’s open reservation, without suspending it again', () =>
    given([
      registered('0'),
      reserved('r1', '0'),
      { type: 'AgentSuspended', data: { reason: 'sandbox_escape', detail: 'x' } },
    ])
      .when(charge('r1', '1'))
      .then([
        charged('r1', '1', '0'),
        { type: 'PipInitiated', data: { reason: expect.any(String), balance: apx('-1') } },
      ]));
});

describe('ReleaseReservation', () => {
  it('gives the reserved amount back', () =>
    given([registered(), credited('10'), reserved('r1', '2')])
      .when({ type: 'ReleaseReservation', data: { reservationId: 'r1', reason: 'tool failed before work' } })
      .then([
        {
          type: 'ReservationReleased',
          data: { reservationId: 'r1', amount: apx('2'), reason: 'tool failed before work' },
        },
      ]));
  it('refuses a reservation that was already charged', () =>
    given([registered(), credited('10'), reserved('r1', '2'), charged('r1', '2', '2')])
      .when({ type: 'ReleaseReservation', data: { reservationId: 'r1', reason: 'request timed out' } })
      .then({ code: 'RESERVATION_NOT_FOUND' }));
});

describe('ApplyPenalty', () => {
  it('charges the 5 APX request-timeout penalty to the bank', () =>
    given([registered(), credited('10')])
      .when(requestTimeoutPenalty('s1:7', 60_000))
      .then([
        {
          type: 'PenaltyApplied',
          data: {
            reason: 'request timed out after 60000 ms',
            amount: REQUEST_TIMEOUT_PENALTY,
            correlationId: 's1:7',
            from: ALICE,
            to: BANK,
          },
        },
      ]));
  it('applies even into debt, opening a PIP and suspending past the debt limit', () =>
    given([registered('4'), credited('0.5')])
      .when(requestTimeoutPenalty('s1:7', 60_000))
      .then([
        { type: 'PenaltyApplied', data: expect.objectContaining({ amount: apx('5') }) },
        { type: 'PipInitiated', data: { reason: expect.stringContaining('penalty'), balance: apx('-4.5') } },
        { type: 'AgentSuspended', data: { reason: 'bankrupt', detail: expect.any(String) } },
      ]));
  it('refuses an unregistered agent', () =>
    given([]).when(requestTimeoutPenalty('s1:7', 60_000)).then({ code: 'AGENT_NOT_FOUND' }));
});

describe('ReportSandboxEscape', () => {
  const sandboxEscape = { type: 'ReportSandboxEscape', data: { detail: 'opened /etc/passwd' } } as const;
  it('suspends the agent at once', () =>
    given([registered(), credited('10')])
      .when(sandboxEscape)
      .then([{ type: 'AgentSuspended', data: { reason: 'sandbox_escape', detail: 'opened /etc/passwd' } }]));
  it('then refuses new work, naming the escape as the cause', () =>
    given([registered(), credited('10'), { type: 'AgentSuspended', data: { reason: 'sandbox_escape', detail: 'x' } }])
      .when(reserve('r1', '1'))
      .then({ code: 'AGENT_SUSPENDED', details: { cause: 'SANDBOX_ESCAPE_ATTEMPT' } }));
  it('changes nothing for an agent already suspended', () =>
    given([registered(), suspendedBankrupt]).when(sandboxEscape).then([]));
});

describe('ReinstateAgent', () => {
  const reinstate = { type: 'ReinstateAgent', data: { reason: 'reviewed by compliance' } } as const;
  it('reinstates a suspended agent', () =>
    given([registered(), credited('1'), { type: 'AgentSuspended', data: { reason: 'sandbox_escape', detail: 'x' } }])
      .when(reinstate)
      .then([{ type: 'AgentReinstated', data: { reason: 'reviewed by compliance' } }]));
  it('refuses while a bankrupt agent still owes more than its debt limit', () =>
    given([registered('1'), reserved('r1', '1'), charged('r1', '3', '1'), suspendedBankrupt])
      .when(reinstate)
      .then({ code: 'DEBT_LIMIT_EXCEEDED' }));
  it('refuses an agent that is not suspended', () =>
    given([registered()]).when(reinstate).then({ code: 'AGENT_NOT_SUSPENDED' }));
});
