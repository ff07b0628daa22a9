import * as t from 'io-ts';
import { DurationMs, defineEvent, type EventOf } from '../event-definition.js';
import { ApxAmount, NonNegativeApxAmount } from '../money.js';

/** Events of an agent's ledger (stream `agent-<id>`). Money fields are micro-APX bigints. */

export const AgentRegistered = defineEvent(
  'AgentRegistered',
  1,
  t.type({
    agentId: t.string,
    name: t.string,
    role: t.string,
    systemPrompt: t.string,
    permissions: t.array(t.string),
    /** How far below zero the balance may go before the agent is suspended as bankrupt. */
    debtLimit: NonNegativeApxAmount,
  }),
);

/** Money entered the agent's account from the system bank. */
export const FundsCredited = defineEvent(
  'FundsCredited',
  1,
  t.type({ amount: NonNegativeApxAmount, reason: t.string, from: t.string, to: t.string }),
);

/** Money was set aside for a tool call before it ran; it has not moved yet. */
export const FundsReserved = defineEvent(
  'FundsReserved',
  1,
  t.type({ reservationId: t.string, tool: t.string, amount: NonNegativeApxAmount, correlationId: t.string }),
);

/** A reservation was given back without a charge (the tool did not run, or failed before doing work). */
export const ReservationReleased = defineEvent(
  'ReservationReleased',
  1,
  t.type({ reservationId: t.string, amount: NonNegativeApxAmount, reason: t.string }),
);

/** A tool call was settled: its reservation (`reservedAmount`) released and its actual cost charged. */
export const ToolCallCharged = defineEvent(
  'ToolCallCharged',
  1,
  t.type({
    reservationId: t.string,
    tool: t.string,
    amount: NonNegativeApxAmount,
    reservedAmount: NonNegativeApxAmount,
    durationMs: DurationMs,
    correlationId: t.string,
    from: t.string,
    to: t.string,
  }),
);

/** A penalty moved money from the agent to the bank, for instance for a request that timed out. */
export const PenaltyApplied = defineEvent(
  'PenaltyApplied',
  1,
  t.type({ reason: t.string, amount: NonNegativeApxAmount, correlationId: t.string, from: t.string, to: t.string }),
);

/** The balance fell below zero: a Performance Improvement Plan starts (one per insolvency episode). */
export const PipInitiated = defineEvent('PipInitiated', 1, t.type({ reason: t.string, balance: ApxAmount }));

/** A credit brought the balance back to zero or more: the insolvency episode is over. */
export const PipCompleted = defineEvent('PipCompleted', 1, t.type({ balance: ApxAmount }));

export const SuspensionReason = t.keyof({ bankrupt: null, sandbox_escape: null, administrative: null });
export type SuspensionReason = t.TypeOf<typeof SuspensionReason>;

/** The agent may not start new work until reinstated. */
export const AgentSuspended = defineEvent('AgentSuspended', 1, t.type({ reason: SuspensionReason, detail: t.string }));

export const AgentReinstated = defineEvent('AgentReinstated', 1, t.type({ reason: t.string }));

export const LEDGER_EVENT_DEFINITIONS = [
  AgentRegistered,
  FundsCredited,
  FundsReserved,
  ReservationReleased,
  ToolCallCharged,
  PenaltyApplied,
  PipInitiated,
  PipCompleted,
  AgentSuspended,
  AgentReinstated,
] as const;

export type LedgerEvent = EventOf<(typeof LEDGER_EVENT_DEFINITIONS)[number]>;
