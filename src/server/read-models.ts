import type { Logger } from 'pino';
import { formatApx } from '../domain/money.js';
import {
  balancesProjection,
  bankOf,
  createInMemoryCheckpointStore,
  healthMetricsProjection,
  healthReport,
  type Projection,
  type RunningProjection,
  runProjection,
} from '../projections/index.js';
import type { EventStore } from '../store/event-store.js';

/** Whole-log read models the resources serve: the system bank, health, metrics. */
export interface ReadModels {
  readonly systemBank: () => Promise<Record<string, unknown>>;
  readonly health: () => Promise<Record<string, unknown>>;
  readonly metrics: () => Promise<Record<string, unknown>>;
  readonly stop: () => Promise<void>;
}

const caughtUpState = async <State>(running: RunningProjection<State>): Promise<State> => {
  await running.caughtUp;
  return running.current();
};

/**
 * Starts the projections behind the whole-log resources. They follow the store's live feed, so
 * events written by other APEX processes on the same store count too. A read waits until the
 * projection has caught up with the log as it was when the server started.
 */
export const startReadModels = async (store: EventStore, logger: Logger): Promise<ReadModels> => {
  const checkpoints = createInMemoryCheckpointStore();
  const started = new Map<string, RunningProjection<unknown>>();
  /** Started on first use: a server nobody asks for whole-log figures does not follow the whole log. */
  const running = <State>(projection: Projection<State>): RunningProjection<State> => {
    let projected = started.get(projection.name) as RunningProjection<State> | undefined;
    if (projected === undefined) {
      projected = runProjection(store, projection, checkpoints);
      projected.caughtUp.catch((error: unknown) => logger.error({ err: error }, 'a projection failed to catch up'));
      started.set(projection.name, projected as RunningProjection<unknown>);
    }
    return projected;
  };
  return {
    systemBank: async () => {
      const balances = running(balancesProjection);
      const state = await caughtUpState(balances);
      const bank = bankOf(state);
      let held = 0n;
      for (const agent of state.agents.values()) held += agent.balance;
      return {
        account: 'system-bank',
        balance: formatApx(bank.balance),
        heldByAgents: formatApx(held),
        agents: state.agents.size,
        asOfPosition: balances.position().toString(),
      };
    },
    health: async () => {
      const health = running(healthMetricsProjection);
      const report = healthReport(await caughtUpState(health));
      return {
        status: report.status,
        errorRate: report.errorRate,
        requestsTotal: report.requestsTotal,
        asOfPosition: health.position().toString(),
      };
    },
    metrics: async () => {
      const health = running(healthMetricsProjection);
      return { ...healthReport(await caughtUpState(health)), asOfPosition: health.position().toString() };
    },
    stop: async () => {
      await Promise.all([...started.values()].map((projection) => projection.stop()));
    },
  };
};
