import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { formatApx } from '../../domain/money.js';
import {
  balancesProjection,
  combineProjections,
  createInMemoryCheckpointStore,
  healthMetricsProjection,
  type RunningProjection,
  runProjection,
} from '../../projections/index.js';
import { bucketUpperBoundMs, HISTOGRAM_BUCKETS_PER_DOUBLING } from '../../projections/latency-histogram.js';
import type { EventStore } from '../../store/event-store.js';
import { sendJson } from './http-responses.js';
import { type CounterName, operationsCountersProjection } from './operations-counters.js';
import { type MetricFamily, PROMETHEUS_CONTENT_TYPE, renderMetrics, type Sample } from './prometheus.js';

/** /healthz answers 503 when the store does not answer within this long. */
export const STORE_PROBE_TIMEOUT_MS = 2000;

const metricsProjection = combineProjections({
  health: healthMetricsProjection,
  balances: balancesProjection,
  counters: operationsCountersProjection,
});

type MetricsState = ReturnType<typeof metricsProjection.initialState>;

const COUNTERS: readonly { name: CounterName; metric: string; help: string; label: string }[] = [
  {
    name: 'requestsTimedOut',
    metric: 'apex_requests_timed_out_total',
    help: 'Requests stopped at their TTL.',
    label: 'agent',
  },
  { name: 'penaltiesApplied', metric: 'apex_penalties_total', help: 'Penalties charged.', label: 'agent' },
  { name: 'pipsInitiated', metric: 'apex_pips_initiated_total', help: 'PIPs started.', label: 'agent' },
  { name: 'pipsCompleted', metric: 'apex_pips_completed_total', help: 'PIPs completed.', label: 'agent' },
  { name: 'agentsSuspended', metric: 'apex_suspensions_total', help: 'Agent suspensions.', label: 'agent' },
  { name: 'agentsReinstated', metric: 'apex_reinstatements_total', help: 'Agent reinstatements.', label: 'agent' },
  {
    name: 'securityIncidents',
    metric: 'apex_security_incidents_total',
    help: 'Security incidents reported.',
    label: 'agent',
  },
  {
    name: 'accessRefused',
    metric: 'apex_http_access_refused_total',
    help: 'HTTP requests refused before reaching a session, by reason.',
    label: 'reason',
  },
  { name: 'tokensIssued', metric: 'apex_tokens_issued_total', help: 'Bearer tokens issued.', label: 'agent' },
];

/** A histogram boundary every doubling (every 8th fine bucket): exact cumulative counts, 33 series. */
const durationHistogram = (state: MetricsState['health']): Sample[] => {
  const samples: Sample[] = [];
  let cumulative = 0;
  state.histogram.forEach((count, bucket) => {
    cumulative += count;
    if (bucket % HISTOGRAM_BUCKETS_PER_DOUBLING === 0) {
      samples.push({ suffix: '_bucket', labels: { le: String(bucketUpperBoundMs(bucket) / 1000) }, value: cumulative });
    }
  });
  samples.push({ suffix: '_bucket', labels: { le: '+Inf' }, value: cumulative });
  samples.push({ suffix: '_sum', value: state.durationSumMs / 1000 });
  samples.push({ suffix: '_count', value: cumulative });
  return samples;
};

const toMetricFamilies = (
  state: MetricsState,
  live: { readonly sessions: number; readonly position: bigint },
): MetricFamily[] => {
  const { health, balances, counters } = state;
  const agents = [...balances.agents.values()].sort((a, b) => a.agentId.localeCompare(b.agentId));
  const byAgent = (value: (agent: (typeof agents)[number]) => number): Sample[] =>
    agents.map((agent) => ({ labels: { agent: agent.agentId }, value: value(agent) }));
  const families: MetricFamily[] = [
    {
      name: 'apex_requests_total',
      help: 'Finished MCP requests by method and outcome (error: answered with an error, or timed out).',
      type: 'counter',
      samples: [...health.methods].flatMap(([method, { total, errors }]) => [
        { labels: { method, outcome: 'success' }, value: total - errors },
        { labels: { method, outcome: 'error' }, value: errors },
      ]),
    },
    {
      name: 'apex_requests_cancelled_total',
      help: 'MCP requests cancelled by the client.',
      type: 'counter',
      samples: [{ value: health.requestsCancelled }],
    },
    {
      name: 'apex_request_duration_seconds',
      help: 'Time from receiving an MCP request to recording its end.',
      type: 'histogram',
      samples: durationHistogram(health),
    },
    {
      name: 'apex_agent_balance_apx',
      help: "Each agent's balance in APX.",
      type: 'gauge',
      samples: byAgent((agent) => Number(formatApx(agent.balance))),
    },
    {
      name: 'apex_agent_reserved_apx',
      help: "Each agent's funds reserved for tool calls in flight, in APX.",
      type: 'gauge',
      samples: byAgent((agent) => Number(formatApx(agent.reserved))),
    },
    {
      name: 'apex_agent_in_pip',
      help: '1 while the agent is on a Performance Improvement Plan.',
      type: 'gauge',
      samples: byAgent((agent) => (agent.openPip === undefined ? 0 : 1)),
    },
    {
      name: 'apex_agent_suspended',
      help: '1 while the agent is suspended.',
      type: 'gauge',
      samples: byAgent((agent) => (agent.suspension === undefined ? 0 : 1)),
    },
    ...COUNTERS.map(
      ({ name, metric, help, label }): MetricFamily => ({
        name: metric,
        help,
        type: 'counter',
        samples: [...(counters.counts.get(name) ?? new Map<string, number>())].map(([value, count]) => ({
          labels: { [label]: value },
          value: count,
        })),
      }),
    ),
    {
      name: 'apex_http_rate_limited_total',
      help: 'Requests refused for going over a rate limit, by agent and limit.',
      type: 'counter',
      samples: [...(counters.counts.get('rateLimited') ?? new Map<string, number>())].map(([key, count]) => {
        const [agent = '', limit = ''] = key.split('\u0000');
        return { labels: { agent, limit }, value: count };
      }),
    },
    {
      name: 'apex_http_sessions',
      help: 'MCP sessions open on this process.',
      type: 'gauge',
      samples: [{ value: live.sessions }],
    },
    {
      name: 'apex_log_position',
      help: 'Global log position these figures are folded up to.',
      type: 'gauge',
      samples: [{ value: Number(live.position) }],
    },
  ];
  return families;
};

/**
 * `/healthz` (liveness, and readiness: the store answers) and `/metrics` (Prometheus text, folded
 * from the log, so it counts what every APEX process on the store recorded).
 */
export class Operations {
  private running: RunningProjection<MetricsState> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    private readonly live: { readonly sessions: () => number; readonly draining: () => boolean },
  ) {}

  async health(response: ServerResponse): Promise<void> {
    const draining = this.live.draining();
    try {
      const position = await withTimeout(this.store.headPosition(), STORE_PROBE_TIMEOUT_MS);
      sendJson(response, draining ? 503 : 200, {
        status: draining ? 'draining' : 'ok',
        store: { reachable: true, headPosition: position.toString() },
        sessions: this.live.sessions(),
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'health check: the event store did not answer');
      sendJson(response, 503, { status: 'unavailable', store: { reachable: false }, sessions: this.live.sessions() });
    }
  }

  async metrics(response: ServerResponse): Promise<void> {
    // Started on first scrape: a server nobody scrapes does not fold the whole log for it.
    this.running ??= runProjection(this.store, metricsProjection, createInMemoryCheckpointStore());
    const running = this.running;
    try {
      await running.caughtUp;
    } catch (error) {
      // The next scrape starts over rather than serving a fold that stopped.
      this.running = undefined;
      throw error;
    }
    const text = renderMetrics(
      toMetricFamilies(running.current(), { sessions: this.live.sessions(), position: running.position() }),
    );
    response.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE });
    response.end(text);
  }

  async stop(): Promise<void> {
    await this.running?.stop();
  }
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};
