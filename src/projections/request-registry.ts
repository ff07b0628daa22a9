import type { RequestId } from '../domain/event-definition.js';
import type { DomainEvent } from '../domain/events.js';
import { REQUEST_TTL_MS, requestKey } from '../domain/session/request-lifetime.js';
import type { RecordedEvent } from '../store/event-store.js';
import {
  agentOfSessionEvent,
  bigintFromJson,
  bigintToJson,
  defineProjection,
  trackSessionAgent,
} from './projection.js';

/** How many timed-out requests the registry remembers, newest last. */
export const RECENT_TIMEOUTS_KEPT = 100;

export interface ActiveRequestView {
  readonly session: string;
  readonly requestId: RequestId;
  readonly method: string;
  readonly agent: string | undefined;
  /** When the request was recorded (its event's timestamp). */
  readonly receivedAt: string;
  readonly position: bigint;
}

export interface TimedOutRequestView extends ActiveRequestView {
  readonly timedOutAt: string;
  readonly ttlMs: number;
  readonly ageMs: number;
}

export interface RequestRegistryState {
  /** Keyed by session stream and request id. */
  readonly active: Map<string, ActiveRequestView>;
  readonly recentlyTimedOut: TimedOutRequestView[];
  /** Agent of every open session, for events whose metadata does not name one. */
  readonly sessionAgents: Map<string, string>;
}

const activeKey = (session: string, requestId: RequestId): string => `${session} ${requestKey(requestId)}`;

const apply = (state: RequestRegistryState, event: DomainEvent, recorded: RecordedEvent): void => {
  const session = recorded.stream;
  trackSessionAgent(state.sessionAgents, event, recorded);
  switch (event.type) {
    case 'RequestReceived':
      state.active.set(activeKey(session, event.data.requestId), {
        session,
        requestId: event.data.requestId,
        method: event.data.method,
        agent: agentOfSessionEvent(recorded, state.sessionAgents),
        receivedAt: recorded.metadata.timestamp,
        position: recorded.position,
      });
      return;
    case 'RequestCompleted':
    case 'RequestFailed':
    case 'RequestCancelled':
      state.active.delete(activeKey(session, event.data.requestId));
      return;
    case 'RequestTimedOut': {
      const key = activeKey(session, event.data.requestId);
      const request = state.active.get(key);
      if (request === undefined) return;
      state.active.delete(key);
      state.recentlyTimedOut.push({
        ...request,
        timedOutAt: recorded.metadata.timestamp,
        ttlMs: event.data.ttlMs,
        ageMs: event.data.ageMs,
      });
      if (state.recentlyTimedOut.length > RECENT_TIMEOUTS_KEPT) state.recentlyTimedOut.shift();
      return;
    }
    case 'SessionEnded':
      // The decider cancels what is still in flight first; this only guards against an older log.
      for (const [key, request] of state.active) if (request.session === session) state.active.delete(key);
      return;
    default:
      return;
  }
};

interface ActiveJson extends Omit<ActiveRequestView, 'position'> {
  readonly position: string;
}
interface TimedOutJson extends Omit<TimedOutRequestView, 'position'> {
  readonly position: string;
}
interface RegistryJson {
  readonly active: readonly ActiveJson[];
  readonly recentlyTimedOut: readonly TimedOutJson[];
  readonly sessionAgents: readonly (readonly [string, string])[];
}

export const requestRegistryProjection = defineProjection<RequestRegistryState, RegistryJson>({
  name: 'request-registry',
  version: 1,
  eventTypes: [
    'SessionStarted',
    'RequestReceived',
    'RequestCompleted',
    'RequestFailed',
    'RequestTimedOut',
    'RequestCancelled',
    'SessionEnded',
  ],
  initialState: () => ({ active: new Map(), recentlyTimedOut: [], sessionAgents: new Map() }),
  apply,
  // The views are replaced, never mutated: copying the containers is a deep copy.
  clone: (state) => ({
    active: new Map(state.active),
    recentlyTimedOut: [...state.recentlyTimedOut],
    sessionAgents: new Map(state.sessionAgents),
  }),
  toJson: (state) => ({
    active: [...state.active.values()].map((request) => ({ ...request, position: bigintToJson(request.position) })),
    recentlyTimedOut: state.recentlyTimedOut.map((request) => ({
      ...request,
      position: bigintToJson(request.position),
    })),
    sessionAgents: [...state.sessionAgents],
  }),
  fromJson: (json) => ({
    active: new Map(
      json.active.map((request) => [
        activeKey(request.session, request.requestId),
        { ...request, position: bigintFromJson(request.position) },
      ]),
    ),
    recentlyTimedOut: json.recentlyTimedOut.map((request) => ({
      ...request,
      position: bigintFromJson(request.position),
    })),
    sessionAgents: new Map(json.sessionAgents),
  }),
});

export const activeRequests = (state: RequestRegistryState): ActiveRequestView[] => [...state.active.values()];

/** Active requests older than `ttlMs` at `now` (the seed: age > TTL), oldest first. */
export const expiredRequests = (
  state: RequestRegistryState,
  now: Date,
  ttlMs: number = REQUEST_TTL_MS,
): ActiveRequestView[] => {
  const nowMs = now.getTime();
  return [...state.active.values()]
    .filter((request) => nowMs - Date.parse(request.receivedAt) > ttlMs)
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
};
