import type { DomainEvent } from '../domain/events.js';
import { agentIdOfAccount } from '../domain/ledger/accounts.js';
import type { MicroApx } from '../domain/money.js';
import type { RecordedEvent } from '../store/event-store.js';
import {
  agentOfSessionEvent,
  bigintFromJson,
  bigintToJson,
  defineProjection,
  trackSessionAgent,
} from './projection.js';

/** What a compliance officer looks for first: every event that changed an agent's standing or cost it a penalty. */
export type IncidentKind =
  | 'pip_initiated'
  | 'pip_completed'
  | 'agent_suspended'
  | 'agent_reinstated'
  | 'request_timed_out'
  | 'penalty_applied'
  | 'security_incident';

export interface IncidentView {
  readonly position: bigint;
  /** The event's timestamp. */
  readonly at: string;
  readonly kind: IncidentKind;
  readonly agent: string | undefined;
  readonly stream: string;
  /** The request behind it, when there was one. */
  readonly correlationId: string | undefined;
  /** Money taken (a penalty), micro-APX. */
  readonly amount: MicroApx | undefined;
  /** The balance the event reports (a PIP's start or end), micro-APX. */
  readonly balance: MicroApx | undefined;
  readonly detail: string;
}

export interface IncidentsState {
  /** In log order. */
  readonly incidents: IncidentView[];
  /** Agent of every open session, for session events whose metadata does not name one. */
  readonly sessionAgents: Map<string, string>;
}

const SECURITY_STREAM_PREFIX = 'security-';

const agentOfStream = (stream: string): string | undefined =>
  stream.startsWith(SECURITY_STREAM_PREFIX) ? stream.slice(SECURITY_STREAM_PREFIX.length) : agentIdOfAccount(stream);

const apply = (state: IncidentsState, event: DomainEvent, recorded: RecordedEvent): void => {
  const record = (
    kind: IncidentKind,
    detail: string,
    extra: { agent?: string | undefined; amount?: MicroApx; balance?: MicroApx; correlationId?: string } = {},
  ) =>
    state.incidents.push({
      position: recorded.position,
      at: recorded.metadata.timestamp,
      kind,
      agent: 'agent' in extra ? extra.agent : agentOfStream(recorded.stream),
      stream: recorded.stream,
      correlationId: extra.correlationId ?? recorded.metadata.correlationId,
      amount: extra.amount,
      balance: extra.balance,
      detail,
    });

  trackSessionAgent(state.sessionAgents, event, recorded);
  switch (event.type) {
    case 'PipInitiated':
      record('pip_initiated', event.data.reason, { balance: event.data.balance });
      return;
    case 'PipCompleted':
      record('pip_completed', 'balance back at zero or more', { balance: event.data.balance });
      return;
    case 'AgentSuspended':
      record('agent_suspended', `${event.data.reason}: ${event.data.detail}`);
      return;
    case 'AgentReinstated':
      record('agent_reinstated', event.data.reason);
      return;
    case 'RequestTimedOut':
      record(
        'request_timed_out',
        `request ${JSON.stringify(event.data.requestId)} given up after ${event.data.ageMs} ms (TTL ${event.data.ttlMs} ms)`,
        { agent: agentOfSessionEvent(recorded, state.sessionAgents) },
      );
      return;
    case 'PenaltyApplied':
      record('penalty_applied', event.data.reason, {
        amount: event.data.amount,
        correlationId: event.data.correlationId,
      });
      return;
    case 'SecurityIncidentReported':
      record('security_incident', `${event.data.kind}: ${event.data.detail}`, {
        correlationId: event.data.correlationId,
      });
      return;
    default:
      return;
  }
};

interface IncidentJson extends Omit<IncidentView, 'position' | 'amount' | 'balance'> {
  readonly position: string;
  readonly amount: string | undefined;
  readonly balance: string | undefined;
}
interface IncidentsJson {
  readonly incidents: readonly IncidentJson[];
  readonly sessionAgents: readonly (readonly [string, string])[];
}

const optionalToJson = (value: bigint | undefined) => (value === undefined ? undefined : bigintToJson(value));
const optionalFromJson = (value: string | undefined) => (value === undefined ? undefined : bigintFromJson(value));

export const incidentsProjection = defineProjection<IncidentsState, IncidentsJson>({
  name: 'incidents',
  version: 1,
  eventTypes: [
    'SessionStarted',
    'SessionEnded',
    'PipInitiated',
    'PipCompleted',
    'AgentSuspended',
    'AgentReinstated',
    'RequestTimedOut',
    'PenaltyApplied',
    'SecurityIncidentReported',
  ],
  initialState: () => ({ incidents: [], sessionAgents: new Map() }),
  apply,
  // Incident views are never mutated once recorded: copying the containers is a deep copy.
  clone: (state) => ({ incidents: [...state.incidents], sessionAgents: new Map(state.sessionAgents) }),
  toJson: (state) => ({
    incidents: state.incidents.map((incident) => ({
      ...incident,
      position: bigintToJson(incident.position),
      amount: optionalToJson(incident.amount),
      balance: optionalToJson(incident.balance),
    })),
    sessionAgents: [...state.sessionAgents],
  }),
  fromJson: (json) => ({
    incidents: json.incidents.map((incident) => ({
      ...incident,
      position: bigintFromJson(incident.position),
      amount: optionalFromJson(incident.amount),
      balance: optionalFromJson(incident.balance),
    })),
    sessionAgents: new Map(json.sessionAgents),
  }),
});

/** How many incidents of each kind, for a summary line. */
export const incidentCounts = (state: IncidentsState): Readonly<Record<IncidentKind, number>> => {
  const counts: Record<IncidentKind, number> = {
    pip_initiated: 0,
    pip_completed: 0,
    agent_suspended: 0,
    agent_reinstated: 0,
    request_timed_out: 0,
    penalty_applied: 0,
    security_incident: 0,
  };
  for (const incident of state.incidents) counts[incident.kind] += 1;
  return counts;
};
