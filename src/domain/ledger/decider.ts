import * as E from 'fp-ts/lib/Either.js';
import type { Decider } from '../decider.js';
import { type DomainError, domainError, invalidDurationError } from '../errors.js';
import { isDurationMs } from '../event-definition.js';
import { formatApx, type MicroApx } from '../money.js';
import { agentAccount, SYSTEM_BANK_ACCOUNT } from './accounts.js';
import type { LedgerCommand } from './commands.js';
import type { LedgerEvent, SuspensionReason } from './events.js';

/** One open reservation: money set aside for a tool call that has not been settled yet. */
export interface Reservation {
  readonly tool: string;
  readonly amount: MicroApx;
  readonly correlationId: string;
}

export interface AgentLedgerState {
  readonly status: 'unregistered' | 'active' | 'suspended';
  readonly agentId: string;
  readonly debtLimit: MicroApx;
  readonly balance: MicroApx;
  /** Sum of the open reservations. */
  readonly reserved: MicroApx;
  readonly reservations: ReadonlyMap<string, Reservation>;
  /** An insolvency episode is open: a PipInitiated without its PipCompleted. */
  readonly pipOpen: boolean;
  readonly suspension: { readonly reason: SuspensionReason; readonly detail: string } | undefined;
}

export const initialLedgerState = (): AgentLedgerState => ({
  status: 'unregistered',
  agentId: '',
  debtLimit: 0n,
  balance: 0n,
  reserved: 0n,
  reservations: new Map(),
  pipOpen: false,
  suspension: undefined,
});

/** What a new reservation may still use: balance + debt limit − what is already reserved. */
export const availableForReservation = (state: AgentLedgerState): MicroApx =>
  state.balance + state.debtLimit - state.reserved;

/** The same shape, owned by one caller who may update it in place (see evolveLedgerInPlace). */
export type MutableLedgerState = {
  -readonly [Key in keyof AgentLedgerState]: Key extends 'reservations'
    ? Map<string, Reservation>
    : AgentLedgerState[Key];
};

export const cloneLedgerState = (state: AgentLedgerState): MutableLedgerState => ({
  ...state,
  reservations: new Map(state.reservations),
});

/**
 * The fast path for the server, which keeps each agent's state in memory and evolves it on every
 * event: updates `state` in place instead of copying the reservations map.
 */
export const evolveLedgerInPlace = (state: MutableLedgerState, event: LedgerEvent): MutableLedgerState => {
  switch (event.type) {
    case 'AgentRegistered':
      state.status = 'active';
      state.agentId = event.data.agentId;
      state.debtLimit = event.data.debtLimit;
      break;
    case 'FundsCredited':
      state.balance += event.data.amount;
      break;
    case 'FundsReserved': {
      const { reservationId, tool, amount, correlationId } = event.data;
      state.reservations.set(reservationId, { tool, amount, correlationId });
      state.reserved += amount;
      break;
    }
    case 'ReservationReleased':
      state.reserved -= event.data.amount;
      state.reservations.delete(event.data.reservationId);
      break;
    case 'ToolCallCharged':
      state.balance -= event.data.amount;
      state.reserved -= event.data.reservedAmount;
      state.reservations.delete(event.data.reservationId);
      break;
    case 'PenaltyApplied':
      state.balance -= event.data.amount;
      break;
    case 'PipInitiated':
      state.pipOpen = true;
      break;
    case 'PipCompleted':
      state.pipOpen = false;
      break;
    case 'AgentSuspended':
      state.status = 'suspended';
      state.suspension = { reason: event.data.reason, detail: event.data.detail };
      break;
    case 'AgentReinstated':
      state.status = 'active';
      state.suspension = undefined;
      break;
  }
  return state;
};

/** The pure evolve: copies the state, then applies the event to the copy. */
export const evolveLedger = (state: AgentLedgerState, event: LedgerEvent): AgentLedgerState =>
  evolveLedgerInPlace(cloneLedgerState(state), event);

type Decision = E.Either<DomainError, readonly LedgerEvent[]>;

const notRegistered = (): Decision =>
  E.left(
    domainError(
      'AGENT_NOT_FOUND',
      'This agent is not registered. Add it to the APEX configuration (or register it) before it moves money.',
    ),
  );

/** Names the cause of a suspension with the seed's error name, so clients can tell why. */
const SUSPENSION_CAUSES = {
  bankrupt: 'AGENT_BANKRUPT',
  sandbox_escape: 'SANDBOX_ESCAPE_ATTEMPT',
  administrative: 'AGENT_SUSPENDED',
} as const;

const suspended = (state: AgentLedgerState): Decision => {
  const reason = state.suspension?.reason ?? 'administrative';
  return E.left(
    domainError(
      'AGENT_SUSPENDED',
      `Agent "${state.agentId}" is suspended (${reason}) and may not start new work. ` +
        (reason === 'bankrupt'
          ? 'An administrator must credit its account above the debt limit and reinstate it.'
          : 'An administrator must review the incident and reinstate it.'),
      { reason, detail: state.suspension?.detail ?? '', cause: SUSPENSION_CAUSES[reason] },
    ),
  );
};

const invalidAmount = (rule: string, amount: MicroApx): Decision =>
  E.left(domainError('INVALID_AMOUNT', `${rule}; got ${formatApx(amount)} APX.`, { amount: formatApx(amount) }));

const reservationNotFound = (reservationId: string): Decision =>
  E.left(
    domainError(
      'RESERVATION_NOT_FOUND',
      `Reservation "${reservationId}" is not open: it was never made or is already settled or released. ` +
        'Nothing was charged twice; there is nothing left to do for it.',
      { reservationId },
    ),
  );

/**
 * A debit always applies (the work was done, the timeout happened). What follows from the new
 * balance: a PIP when it first falls below zero, a suspension when it falls below −debtLimit.
 */
const consequencesOfDebit = (state: AgentLedgerState, newBalance: MicroApx, cause: string): LedgerEvent[] => {
  const consequences: LedgerEvent[] = [];
  if (newBalance < 0n && !state.pipOpen) {
    consequences.push({
      type: 'PipInitiated',
      data: { reason: `balance fell below zero after ${cause}`, balance: newBalance },
    });
  }
  if (newBalance < -state.debtLimit && state.status !== 'suspended') {
    consequences.push({
      type: 'AgentSuspended',
      data: {
        reason: 'bankrupt',
        detail: `balance ${formatApx(newBalance)} APX is below the debt limit of -${formatApx(state.debtLimit)} APX after ${cause}`,
      },
    });
  }
  return consequences;
};

export const decideLedger = (command: LedgerCommand, state: AgentLedgerState): Decision => {
  if (command.type === 'RegisterAgent') {
    if (state.status !== 'unregistered') {
      return E.left(
        domainError('AGENT_ALREADY_REGISTERED', `Agent "${state.agentId}" is already registered; credit it instead.`, {
          agentId: state.agentId,
        }),
      );
    }
    const { openingBalance, ...registration } = command.data;
    if (registration.debtLimit < 0n) return invalidAmount('A debt limit must be zero or more', registration.debtLimit);
    const registered: LedgerEvent = {
      type: 'AgentRegistered',
      data: { ...registration, permissions: [...registration.permissions] },
    };
    if (openingBalance === undefined || openingBalance === 0n) return E.right([registered]);
    if (openingBalance < 0n) return invalidAmount('A credit must be more than zero', openingBalance);
    return E.right([
      registered,
      {
        type: 'FundsCredited',
        data: {
          amount: openingBalance,
          reason: 'opening balance',
          from: SYSTEM_BANK_ACCOUNT,
          to: agentAccount(registration.agentId),
        },
      },
    ]);
  }
  if (state.status === 'unregistered') return notRegistered();
  const account = agentAccount(state.agentId);

  switch (command.type) {
    case 'CreditFunds': {
      const { amount, reason } = command.data;
      if (amount <= 0n) return invalidAmount('A credit must be more than zero', amount);
      const newBalance = state.balance + amount;
      const events: LedgerEvent[] = [
        { type: 'FundsCredited', data: { amount, reason, from: SYSTEM_BANK_ACCOUNT, to: account } },
      ];
      if (state.pipOpen && newBalance >= 0n) events.push({ type: 'PipCompleted', data: { balance: newBalance } });
      return E.right(events);
    }
    case 'ReserveFunds': {
      const { reservationId, tool, amount, correlationId } = command.data;
      if (state.status === 'suspended') return suspended(state);
      if (amount < 0n) return invalidAmount('A reservation must be zero or more', amount);
      if (state.reservations.has(reservationId)) {
        return E.left(
          domainError('DUPLICATE_RESERVATION_ID', `Reservation "${reservationId}" already exists; use a fresh id.`, {
            reservationId,
          }),
        );
      }
      const available = availableForReservation(state);
      if (available < amount) {
        return E.left(
          domainError(
            'INSUFFICIENT_FUNDS',
            `Tool "${tool}" needs ${formatApx(amount)} APX but only ${formatApx(available)} APX is available ` +
              '(balance + debt limit − reserved). Ask for a credit, wait for running calls to settle, or use a cheaper tool.',
            {
              required: formatApx(amount),
              available: formatApx(available),
              balance: formatApx(state.balance),
              debtLimit: formatApx(state.debtLimit),
              reserved: formatApx(state.reserved),
            },
          ),
        );
      }
      return E.right([{ type: 'FundsReserved', data: { reservationId, tool, amount, correlationId } }]);
    }
    case 'ChargeToolCall': {
      const { reservationId, amount, durationMs } = command.data;
      const reservation = state.reservations.get(reservationId);
      if (reservation === undefined) return reservationNotFound(reservationId);
      if (amount < 0n) return invalidAmount('A charge must be zero or more', amount);
      if (!isDurationMs(durationMs)) return E.left(invalidDurationError(durationMs));
      const charged: LedgerEvent = {
        type: 'ToolCallCharged',
        data: {
          reservationId,
          tool: reservation.tool,
          amount,
          reservedAmount: reservation.amount,
          durationMs,
          correlationId: reservation.correlationId,
          from: account,
          to: SYSTEM_BANK_ACCOUNT,
        },
      };
      const cause = `tool call "${reservation.tool}" was charged ${formatApx(amount)} APX`;
      return E.right([charged, ...consequencesOfDebit(state, state.balance - amount, cause)]);
    }
    case 'ReleaseReservation': {
      const { reservationId, reason } = command.data;
      const reservation = state.reservations.get(reservationId);
      if (reservation === undefined) return reservationNotFound(reservationId);
      return E.right([{ type: 'ReservationReleased', data: { reservationId, amount: reservation.amount, reason } }]);
    }
    case 'ApplyPenalty': {
      const { reason, amount, correlationId } = command.data;
      if (amount < 0n) return invalidAmount('A penalty must be zero or more', amount);
      const penalty: LedgerEvent = {
        type: 'PenaltyApplied',
        data: { reason, amount, correlationId, from: account, to: SYSTEM_BANK_ACCOUNT },
      };
      const cause = `a penalty of ${formatApx(amount)} APX (${reason})`;
      return E.right([penalty, ...consequencesOfDebit(state, state.balance - amount, cause)]);
    }
    case 'ReportSandboxEscape':
    case 'SuspendAgent': {
      // Already suspended: the incident itself is recorded in the security stream; nothing changes here.
      if (state.status === 'suspended') return E.right([]);
      const reason = command.type === 'ReportSandboxEscape' ? 'sandbox_escape' : 'administrative';
      return E.right([{ type: 'AgentSuspended', data: { reason, detail: command.data.detail } }]);
    }
    case 'ReinstateAgent': {
      if (state.status !== 'suspended') {
        return E.left(
          domainError(
            'AGENT_NOT_SUSPENDED',
            `Agent "${state.agentId}" is not suspended; there is nothing to reinstate.`,
          ),
        );
      }
      if (state.balance < -state.debtLimit) {
        return E.left(
          domainError(
            'DEBT_LIMIT_EXCEEDED',
            `Agent "${state.agentId}" owes more than its debt limit (balance ${formatApx(state.balance)} APX, ` +
              `limit -${formatApx(state.debtLimit)} APX). Credit its account first, then reinstate it.`,
            { balance: formatApx(state.balance), debtLimit: formatApx(state.debtLimit) },
          ),
        );
      }
      return E.right([{ type: 'AgentReinstated', data: { reason: command.data.reason } }]);
    }
  }
};

export const agentLedgerDecider: Decider<LedgerCommand, LedgerEvent, AgentLedgerState> = {
  initialState: initialLedgerState,
  evolve: evolveLedger,
  decide: decideLedger,
};
