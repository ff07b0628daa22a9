import type { DomainEvent } from '../../domain/events.js';
import { agentIdOfAccount } from '../../domain/ledger/accounts.js';
import { defineProjection } from '../../projections/projection.js';
import type { RecordedEvent } from '../../store/event-store.js';

/** Counter name → label value (an agent, a reason, agent/limit) → count. */
export interface OperationsCounters {
  readonly counts: Map<string, Map<string, number>>;
}

export type CounterName =
  | 'requestsTimedOut'
  | 'penaltiesApplied'
  | 'pipsInitiated'
  | 'pipsCompleted'
  | 'agentsSuspended'
  | 'agentsReinstated'
  | 'securityIncidents'
  | 'accessRefused'
  | 'rateLimited'
  | 'tokensIssued';

const SECURITY_STREAM_PREFIX = 'security-';

const count = (state: OperationsCounters, name: CounterName, label: string): void => {
  let byLabel = state.counts.get(name);
  if (byLabel === undefined) {
    byLabel = new Map();
    state.counts.set(name, byLabel);
  }
  byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
};

const agentOf = (recorded: RecordedEvent): string => {
  const account = agentIdOfAccount(recorded.stream);
  if (account !== undefined) return account;
  if (recorded.stream.startsWith(SECURITY_STREAM_PREFIX)) return recorded.stream.slice(SECURITY_STREAM_PREFIX.length);
  return recorded.metadata.agent ?? '';
};

/** The counter an event adds one to, and its label. */
const counterOf = (event: DomainEvent, recorded: RecordedEvent): readonly [CounterName, string] | undefined => {
  switch (event.type) {
    case 'RequestTimedOut':
      return ['requestsTimedOut', recorded.metadata.agent ?? ''];
    case 'PenaltyApplied':
      return ['penaltiesApplied', agentOf(recorded)];
    case 'PipInitiated':
      return ['pipsInitiated', agentOf(recorded)];
    case 'PipCompleted':
      return ['pipsCompleted', agentOf(recorded)];
    case 'AgentSuspended':
      return ['agentsSuspended', agentOf(recorded)];
    case 'AgentReinstated':
      return ['agentsReinstated', agentOf(recorded)];
    case 'SecurityIncidentReported':
      return ['securityIncidents', agentOf(recorded)];
    case 'AccessRefused':
      return ['accessRefused', event.data.reason];
    case 'RequestRateLimited':
      return ['rateLimited', `${event.data.agent}\u0000${event.data.limit}`];
    case 'TokenIssued':
      return ['tokensIssued', event.data.agent];
    default:
      return undefined;
  }
};

const apply = (state: OperationsCounters, event: DomainEvent, recorded: RecordedEvent): void => {
  const counter = counterOf(event, recorded);
  if (counter !== undefined) count(state, counter[0], counter[1]);
};

type CountersJson = readonly (readonly [string, readonly (readonly [string, number])[]])[];

/** The incident counters /metrics exports, folded from the log like every other read model. */
export const operationsCountersProjection = defineProjection<OperationsCounters, CountersJson>({
  name: 'operations-counters',
  version: 1,
  eventTypes: [
    'RequestTimedOut',
    'PenaltyApplied',
    'PipInitiated',
    'PipCompleted',
    'AgentSuspended',
    'AgentReinstated',
    'SecurityIncidentReported',
    'AccessRefused',
    'RequestRateLimited',
    'TokenIssued',
  ],
  initialState: () => ({ counts: new Map() }),
  apply,
  clone: (state) => ({ counts: new Map([...state.counts].map(([name, byLabel]) => [name, new Map(byLabel)])) }),
  toJson: (state) => [...state.counts].map(([name, byLabel]) => [name, [...byLabel]] as const),
  fromJson: (json) => ({ counts: new Map(json.map(([name, byLabel]) => [name, new Map(byLabel)])) }),
});
