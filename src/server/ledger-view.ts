import type { AgentLedgerState } from '../domain/ledger/decider.js';
import type { LedgerEvent } from '../domain/ledger/events.js';
import { formatApx } from '../domain/money.js';
import type { EventStore } from '../store/event-store.js';
import { streamName } from '../store/stream-name.js';
import type { AgentAccounts } from './agent-accounts.js';
import { decodeRecorded } from './event-codec.js';

/** How many of the latest movements a ledger view shows by default. */
export const RECENT_MOVEMENTS = 20;
export const MAX_HISTORY = 500;

export type AccountStatus = 'unregistered' | 'active' | 'pip' | 'suspended';

export const accountStatus = (state: AgentLedgerState): AccountStatus =>
  state.status === 'active' && state.pipOpen ? 'pip' : state.status;

/** One line of an agent's account, as an auditor reads it: amounts are signed from the agent's side. */
export interface Movement {
  readonly position: string;
  readonly revision: string;
  readonly at: string;
  readonly event: string;
  readonly amount?: string;
  readonly tool?: string;
  readonly reason?: string;
  readonly correlationId?: string;
}

const signedAmount = (event: LedgerEvent): bigint | undefined => {
  switch (event.type) {
    case 'FundsCredited':
      return event.data.amount;
    case 'ToolCallCharged':
    case 'PenaltyApplied':
      return -event.data.amount;
    default:
      return undefined;
  }
};

const describeMovement = (event: LedgerEvent): Pick<Movement, 'tool' | 'reason' | 'correlationId'> => {
  const data = event.data as { tool?: string; reason?: string; correlationId?: string; amount?: bigint };
  return {
    ...(data.tool === undefined ? {} : { tool: data.tool }),
    ...(data.reason === undefined ? {} : { reason: String(data.reason) }),
    ...(data.correlationId === undefined ? {} : { correlationId: data.correlationId }),
  };
};

/** The latest `limit` events of an agent's ledger, newest first. */
export const ledgerHistory = async (store: EventStore, agentId: string, limit: number): Promise<Movement[]> => {
  const movements: Movement[] = [];
  const stream = streamName.agent(agentId);
  for await (const recorded of store.readStream(stream, { direction: 'backwards', maxCount: limit })) {
    const event = decodeRecorded(recorded) as LedgerEvent;
    const amount = signedAmount(event);
    movements.push({
      position: recorded.position.toString(),
      revision: recorded.revision.toString(),
      at: recorded.metadata.timestamp,
      event: recorded.type,
      ...(amount === undefined ? {} : { amount: formatApx(amount) }),
      ...describeMovement(event),
    });
  }
  return movements;
};

/** An agent's account as JSON: what payroll://ledger/{id} and ledger_balance show. */
export const ledgerView = async (
  accounts: AgentAccounts,
  store: EventStore,
  agentId: string,
  recent = RECENT_MOVEMENTS,
) => {
  const account = await accounts.get(agentId);
  const state = account.committedState;
  return {
    agent: agentId,
    status: accountStatus(state),
    balance: formatApx(state.balance),
    reserved: formatApx(state.reserved),
    available: formatApx(state.balance + state.debtLimit - state.reserved),
    debtLimit: formatApx(state.debtLimit),
    pipOpen: state.pipOpen,
    ...(state.suspension === undefined ? {} : { suspension: state.suspension }),
    revision: account.revision.toString(),
    recentMovements: recent > 0 ? await ledgerHistory(store, agentId, recent) : [],
  };
};
