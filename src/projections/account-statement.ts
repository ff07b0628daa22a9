import type { DomainEvent } from '../domain/events.js';
import { agentAccount } from '../domain/ledger/accounts.js';
import type { MicroApx } from '../domain/money.js';
import type { RecordedEvent } from '../store/event-store.js';
import { bigintFromJson, bigintToJson, defineProjection, type Projection } from './projection.js';

/** One movement of money in or out of an agent's account, as a bank statement shows it. */
export interface StatementLine {
  readonly position: bigint;
  readonly at: string;
  readonly event: 'FundsCredited' | 'ToolCallCharged' | 'PenaltyApplied';
  /** Signed from the agent's side: a credit is positive, a charge or penalty negative. Micro-APX. */
  readonly amount: MicroApx;
  /** The balance after this line. */
  readonly balance: MicroApx;
  readonly tool: string | undefined;
  readonly correlationId: string | undefined;
  /** Why the money moved (a credit's or penalty's reason). */
  readonly reason: string | undefined;
}

export interface AccountStatementState {
  readonly agentId: string;
  balance: MicroApx;
  readonly lines: StatementLine[];
}

/**
 * Every movement that made one agent's balance, with a running balance, so a reader can add the
 * lines up and check the figure. Reads the `from`/`to` of each movement, wherever it was recorded.
 */
export const accountStatementProjection = (agentId: string): Projection<AccountStatementState> => {
  const account = agentAccount(agentId);

  const apply = (state: AccountStatementState, event: DomainEvent, recorded: RecordedEvent): void => {
    if (event.type !== 'FundsCredited' && event.type !== 'ToolCallCharged' && event.type !== 'PenaltyApplied') return;
    const { from, to, amount } = event.data;
    if (to !== account && from !== account) return;
    const signed = (to === account ? amount : 0n) - (from === account ? amount : 0n);
    state.balance += signed;
    state.lines.push({
      position: recorded.position,
      at: recorded.metadata.timestamp,
      event: event.type,
      amount: signed,
      balance: state.balance,
      tool: event.type === 'ToolCallCharged' ? event.data.tool : undefined,
      correlationId: event.type === 'FundsCredited' ? recorded.metadata.correlationId : event.data.correlationId,
      reason: event.type === 'ToolCallCharged' ? undefined : event.data.reason,
    });
  };

  interface LineJson extends Omit<StatementLine, 'position' | 'amount' | 'balance'> {
    readonly position: string;
    readonly amount: string;
    readonly balance: string;
  }

  return defineProjection<AccountStatementState, { balance: string; lines: LineJson[] }>({
    name: `account-statement-${agentId}`,
    version: 1,
    eventTypes: ['FundsCredited', 'ToolCallCharged', 'PenaltyApplied'],
    initialState: () => ({ agentId, balance: 0n, lines: [] }),
    apply,
    clone: (state) => ({ ...state, lines: [...state.lines] }),
    toJson: (state) => ({
      balance: bigintToJson(state.balance),
      lines: state.lines.map((line) => ({
        ...line,
        position: bigintToJson(line.position),
        amount: bigintToJson(line.amount),
        balance: bigintToJson(line.balance),
      })),
    }),
    fromJson: (json) => ({
      agentId,
      balance: bigintFromJson(json.balance),
      lines: json.lines.map((line) => ({
        ...line,
        position: bigintFromJson(line.position),
        amount: bigintFromJson(line.amount),
        balance: bigintFromJson(line.balance),
      })),
    }),
  });
};
