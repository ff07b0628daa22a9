import type { DomainEvent } from '../domain/events.js';
import { requestKey } from '../domain/session/request-lifetime.js';
import type { RecordedEvent } from '../store/event-store.js';
import { emptyHistogram, type LatencyHistogram, quantileMs, recordDuration } from './latency-histogram.js';
import { defineProjection } from './projection.js';

/** The seed's thresholds (§8.1): more than 5% errors is degraded, more than 10% unhealthy. */
export const DEGRADED_ERROR_RATE = 0.05;
export const UNHEALTHY_ERROR_RATE = 0.1;

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface MethodCounts {
  total: number;
  errors: number;
}

/**
 * Counts of finished requests: a success is a completed request, an error a failed or
 * timed-out one. Cancelled requests had no outcome and are counted apart.
 */
export interface HealthMetricsState {
  requestsTotal: number;
  requestsSuccess: number;
  requestsError: number;
  requestsCancelled: number;
  durationSumMs: number;
  readonly histogram: LatencyHistogram;
  readonly methods: Map<string, MethodCounts>;
  /** Method of each request in flight, to attribute its outcome. */
  readonly pending: Map<string, string>;
}

const pendingKey = (session: string, requestId: string | number) => `${session} ${requestKey(requestId)}`;

const finish = (state: HealthMetricsState, key: string, durationMs: number, success: boolean): void => {
  const method = state.pending.get(key);
  if (method === undefined) return;
  state.pending.delete(key);
  state.requestsTotal += 1;
  if (success) state.requestsSuccess += 1;
  else state.requestsError += 1;
  state.durationSumMs += durationMs;
  recordDuration(state.histogram, durationMs);
  let counts = state.methods.get(method);
  if (counts === undefined) {
    counts = { total: 0, errors: 0 };
    state.methods.set(method, counts);
  }
  counts.total += 1;
  if (!success) counts.errors += 1;
};

const apply = (state: HealthMetricsState, event: DomainEvent, recorded: RecordedEvent): void => {
  const session = recorded.stream;
  switch (event.type) {
    case 'RequestReceived':
      state.pending.set(pendingKey(session, event.data.requestId), event.data.method);
      return;
    case 'RequestCompleted':
      finish(state, pendingKey(session, event.data.requestId), event.data.durationMs, true);
      return;
    case 'RequestFailed':
      finish(state, pendingKey(session, event.data.requestId), event.data.durationMs, false);
      return;
    case 'RequestTimedOut':
      finish(state, pendingKey(session, event.data.requestId), event.data.ageMs, false);
      return;
    case 'RequestCancelled':
      if (state.pending.delete(pendingKey(session, event.data.requestId))) state.requestsCancelled += 1;
      return;
    case 'SessionEnded':
      for (const key of state.pending.keys()) if (key.startsWith(`${session} `)) state.pending.delete(key);
      return;
    default:
      return;
  }
};

interface HealthJson {
  readonly requestsTotal: number;
  readonly requestsSuccess: number;
  readonly requestsError: number;
  readonly requestsCancelled: number;
  readonly durationSumMs: number;
  readonly histogram: readonly (readonly [number, number])[];
  readonly methods: readonly (readonly [string, MethodCounts])[];
  readonly pending: readonly (readonly [string, string])[];
}

export const healthMetricsProjection = defineProjection<HealthMetricsState, HealthJson>({
  name: 'health-metrics',
  version: 1,
  eventTypes: [
    'RequestReceived',
    'RequestCompleted',
    'RequestFailed',
    'RequestTimedOut',
    'RequestCancelled',
    'SessionEnded',
  ],
  initialState: () => ({
    requestsTotal: 0,
    requestsSuccess: 0,
    requestsError: 0,
    requestsCancelled: 0,
    durationSumMs: 0,
    histogram: emptyHistogram(),
    methods: new Map(),
    pending: new Map(),
  }),
  apply,
  clone: (state) => ({
    ...state,
    histogram: [...state.histogram],
    methods: new Map([...state.methods].map(([method, counts]) => [method, { ...counts }])),
    pending: new Map(state.pending),
  }),
  toJson: (state) => ({
    ...state,
    // Sparse: most buckets are empty.
    histogram: state.histogram.flatMap((count, bucket) => (count === 0 ? [] : [[bucket, count] as const])),
    methods: [...state.methods],
    pending: [...state.pending],
  }),
  fromJson: (json) => {
    const histogram = emptyHistogram();
    for (const [bucket, count] of json.histogram) histogram[bucket] = count;
    return {
      ...json,
      histogram,
      methods: new Map(json.methods.map(([method, counts]) => [method, { ...counts }])),
      pending: new Map(json.pending),
    };
  },
});

export const healthStatusOf = (errorRate: number): HealthStatus =>
  errorRate > UNHEALTHY_ERROR_RATE ? 'unhealthy' : errorRate > DEGRADED_ERROR_RATE ? 'degraded' : 'healthy';

export interface HealthReport {
  readonly requestsTotal: number;
  readonly requestsSuccess: number;
  readonly requestsError: number;
  readonly requestsCancelled: number;
  readonly errorRate: number;
  /** Undefined until a request has finished. */
  readonly meanResponseMs: number | undefined;
  readonly p50ResponseMs: number | undefined;
  readonly p99ResponseMs: number | undefined;
  readonly methods: Readonly<Record<string, { total: number; errors: number; errorRate: number }>>;
  readonly status: HealthStatus;
}

export const healthReport = (state: HealthMetricsState): HealthReport => {
  const errorRate = state.requestsTotal === 0 ? 0 : state.requestsError / state.requestsTotal;
  return {
    requestsTotal: state.requestsTotal,
    requestsSuccess: state.requestsSuccess,
    requestsError: state.requestsError,
    requestsCancelled: state.requestsCancelled,
    errorRate,
    meanResponseMs: state.requestsTotal === 0 ? undefined : state.durationSumMs / state.requestsTotal,
    p50ResponseMs: quantileMs(state.histogram, 0.5),
    p99ResponseMs: quantileMs(state.histogram, 0.99),
    methods: Object.fromEntries(
      [...state.methods].map(([method, { total, errors }]) => [method, { total, errors, errorRate: errors / total }]),
    ),
    status: healthStatusOf(errorRate),
  };
};
