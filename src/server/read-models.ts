import type { Logger } from 'pino';
import type { EventStore } from '../store/event-store.js';

/** Whole-log read models the resources serve: the system bank, health, metrics. */
export interface ReadModels {
  readonly systemBank: () => Record<string, unknown>;
  readonly health: () => Record<string, unknown>;
  readonly metrics: () => Record<string, unknown>;
  readonly stop: () => Promise<void>;
}

export const startReadModels = async (_store: EventStore, _logger: Logger): Promise<ReadModels> => ({
  systemBank: () => ({}),
  health: () => ({}),
  metrics: () => ({}),
  stop: async () => undefined,
});
