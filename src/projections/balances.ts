import type { DomainEvent } from '../domain/events.js';
import { agentIdOfAccount, SYSTEM_BANK_ACCOUNT } from '../domain/ledger/accounts.js';
import type { SuspensionReason } from '../domain/ledger/events.js';
import type { MicroApx } from '../domain/money.js';
import type { RecordedEvent } from '../store/event-store.js';
import { bigintFromJson, bigintToJson, defineProjection } from './projection.js';

export type AgentStatus = 'active' | 'pip' | 'suspended';

/** One agent's account as the ledger events say it is. Money in micro-APX. */
export interface AgentLedgerView {
  readonly agentId: string;
  readonly name: string;
  readonly role: string;
  readonly balance: MicroApx;
  readonly reserved: MicroApx;
  readonly debtLimit: MicroApx;
  readonly status: AgentStatus;
  /** The open insolvency episode: where and when its PIP started, and the balance then. */
  readonly openPip: { readonly position: bigint; readonly at: string; readonly balance: MicroApx } | undefined;
  readonly suspension: { readonly reason: SuspensionReason; readonly detail: string; readonly at: string } | undefined;
  readonly totalCredited: MicroApx;
  readonly totalCharged: MicroApx;
  readonly totalPenalties: MicroApx;
  /** Position of the last event that moved money in or out of this account. */
  readonly lastMovementPosition: bigint | undefined;
}

export interface BankView {
  /** Minus everything the agents hold: the sum over all accounts is zero. */
  readonly balance: MicroApx;
  readonly lastMovementPosition: bigint | undefined;
}

export interface BalancesState {
  readonly agents: ReadonlyMap<string, AgentLedgerView>;
  readonly bank: BankView;
}

/** The fold's working shape: the same records, writable. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
interface WorkingBalances {
  readonly agents: Map<string, Mutable<AgentLedgerView>>;
  bank: Mutable<BankView>;
}

const newAgent = (agentId: string): Mutable<AgentLedgerView> => ({
  agentId,
  name: agentId,
  role: '',
  balance: 0n,
  reserved: 0n,
  debtLimit: 0n,
  status: 'active',
  openPip: undefined,
  suspension: undefined,
  totalCredited: 0n,
  totalCharged: 0n,
  totalPenalties: 0n,
  lastMovementPosition: undefined,
});

const agentOf = (state: WorkingBalances, agentId: string): Mutable<AgentLedgerView> => {
  let agent = state.agents.get(agentId);
  if (agent === undefined) {
    agent = newAgent(agentId);
    state.agents.set(agentId, agent);
  }
  return agent;
};

const statusOf = (agent: AgentLedgerView): AgentStatus =>
  agent.suspension !== undefined ? 'suspended' : agent.openPip !== undefined ? 'pip' : 'active';

/** Double entry: the amount leaves one account and enters the other. */
const move = (state: WorkingBalances, from: string, to: string, amount: MicroApx, position: bigint): void => {
  for (const [account, delta] of [
    [from, -amount],
    [to, amount],
  ] as const) {
    if (account === SYSTEM_BANK_ACCOUNT) {
      state.bank.balance += delta;
      state.bank.lastMovementPosition = position;
      continue;
    }
    const agentId = agentIdOfAccount(account);
    // The decider only writes agent and bank accounts; anything else is not ours to count.
    if (agentId === undefined) continue;
    const agent = agentOf(state, agentId);
    agent.balance += delta;
    agent.lastMovementPosition = position;
  }
};

const apply = (state: WorkingBalances, event: DomainEvent, recorded: RecordedEvent): void => {
  const streamAgentId = agentIdOfAccount(recorded.stream);
  if (streamAgentId === undefined) return;
  const agent = agentOf(state, streamAgentId);
  switch (event.type) {
    case 'AgentRegistered':
      agent.name = event.data.name;
      agent.role = event.data.role;
      agent.debtLimit = event.data.debtLimit;
      break;
    case 'FundsCredited':
      move(state, event.data.from, event.data.to, event.data.amount, recorded.position);
      agent.totalCredited += event.data.amount;
      break;
    case 'FundsReserved':
      agent.reserved += event.data.amount;
      break;
    case 'ReservationReleased':
      agent.reserved -= event.data.amount;
      break;
    case 'ToolCallCharged':
      agent.reserved -= event.data.reservedAmount;
      move(state, event.data.from, event.data.to, event.data.amount, recorded.position);
      agent.totalCharged += event.data.amount;
      break;
    case 'PenaltyApplied':
      move(state, event.data.from, event.data.to, event.data.amount, recorded.position);
      agent.totalPenalties += event.data.amount;
      break;
    case 'PipInitiated':
      agent.openPip = { position: recorded.position, at: recorded.metadata.timestamp, balance: event.data.balance };
      break;
    case 'PipCompleted':
      agent.openPip = undefined;
      break;
    case 'AgentSuspended':
      agent.suspension = { reason: event.data.reason, detail: event.data.detail, at: recorded.metadata.timestamp };
      break;
    case 'AgentReinstated':
      agent.suspension = undefined;
      break;
    default:
      return;
  }
  agent.status = statusOf(agent);
};

interface AgentJson {
  readonly agentId: string;
  readonly name: string;
  readonly role: string;
  readonly balance: string;
  readonly reserved: string;
  readonly debtLimit: string;
  readonly status: AgentStatus;
  readonly openPip: { readonly position: string; readonly at: string; readonly balance: string } | undefined;
  readonly suspension: { readonly reason: SuspensionReason; readonly detail: string; readonly at: string } | undefined;
  readonly totalCredited: string;
  readonly totalCharged: string;
  readonly totalPenalties: string;
  readonly lastMovementPosition: string | undefined;
}
interface BalancesJson {
  readonly agents: readonly AgentJson[];
  readonly bank: { readonly balance: string; readonly lastMovementPosition: string | undefined };
}

const optionalBigintToJson = (value: bigint | undefined) => (value === undefined ? undefined : bigintToJson(value));
const optionalBigintFromJson = (value: string | undefined) => (value === undefined ? undefined : bigintFromJson(value));

const agentToJson = (agent: AgentLedgerView): AgentJson => ({
  agentId: agent.agentId,
  name: agent.name,
  role: agent.role,
  balance: bigintToJson(agent.balance),
  reserved: bigintToJson(agent.reserved),
  debtLimit: bigintToJson(agent.debtLimit),
  status: agent.status,
  openPip:
    agent.openPip === undefined
      ? undefined
      : {
          position: bigintToJson(agent.openPip.position),
          at: agent.openPip.at,
          balance: bigintToJson(agent.openPip.balance),
        },
  suspension: agent.suspension,
  totalCredited: bigintToJson(agent.totalCredited),
  totalCharged: bigintToJson(agent.totalCharged),
  totalPenalties: bigintToJson(agent.totalPenalties),
  lastMovementPosition: optionalBigintToJson(agent.lastMovementPosition),
});

/** Same keys in the same order as newAgent, so a restored state serializes exactly like the live one. */
const agentFromJson = (json: AgentJson): Mutable<AgentLedgerView> => ({
  agentId: json.agentId,
  name: json.name,
  role: json.role,
  balance: bigintFromJson(json.balance),
  reserved: bigintFromJson(json.reserved),
  debtLimit: bigintFromJson(json.debtLimit),
  status: json.status,
  openPip:
    json.openPip === undefined
      ? undefined
      : {
          position: bigintFromJson(json.openPip.position),
          at: json.openPip.at,
          balance: bigintFromJson(json.openPip.balance),
        },
  suspension: json.suspension,
  totalCredited: bigintFromJson(json.totalCredited),
  totalCharged: bigintFromJson(json.totalCharged),
  totalPenalties: bigintFromJson(json.totalPenalties),
  lastMovementPosition: optionalBigintFromJson(json.lastMovementPosition),
});

export const balancesProjection = defineProjection<WorkingBalances, BalancesJson>({
  name: 'balances',
  version: 1,
  eventTypes: [
    'AgentRegistered',
    'FundsCredited',
    'FundsReserved',
    'ReservationReleased',
    'ToolCallCharged',
    'PenaltyApplied',
    'PipInitiated',
    'PipCompleted',
    'AgentSuspended',
    'AgentReinstated',
  ],
  initialState: () => ({ agents: new Map(), bank: { balance: 0n, lastMovementPosition: undefined } }),
  apply,
  // Nested objects (openPip, suspension) are replaced, never mutated, so one level of copying is deep enough.
  clone: (state) => ({
    agents: new Map([...state.agents].map(([id, agent]) => [id, { ...agent }])),
    bank: { ...state.bank },
  }),
  toJson: (state) => ({
    agents: [...state.agents.values()].map(agentToJson),
    bank: {
      balance: bigintToJson(state.bank.balance),
      lastMovementPosition: optionalBigintToJson(state.bank.lastMovementPosition),
    },
  }),
  fromJson: (json) => ({
    agents: new Map(json.agents.map((agent) => [agent.agentId, agentFromJson(agent)])),
    bank: {
      balance: bigintFromJson(json.bank.balance),
      lastMovementPosition: optionalBigintFromJson(json.bank.lastMovementPosition),
    },
  }),
});

/** One agent's ledger, or undefined if no event mentions it. */
export const ledgerOf = (state: BalancesState, agentId: string): AgentLedgerView | undefined =>
  state.agents.get(agentId);

export const bankOf = (state: BalancesState): BankView => state.bank;
