import { formatApx } from '../domain/money.js';
import { type AsOf, balancesProjection, evaluateAsOf } from '../projections/index.js';
import { openStore } from '../store/open-store.js';
import { CliError } from './cli-error.js';
import { renderRows } from './render.js';

export type ReportFormat = 'table' | 'json' | 'csv';

export interface ReportOptions {
  readonly store: string;
  readonly at?: string;
  readonly format: ReportFormat;
}

/** `--at`: a global position (digits) or an ISO-8601 time; absent means now (the whole log). */
export const parseAt = (at: string | undefined): AsOf | undefined => {
  if (at === undefined) return undefined;
  if (/^\d+$/.test(at)) return { position: BigInt(at) };
  const time = Date.parse(at);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(at)) {
    throw new CliError(`--at ${JSON.stringify(at)} is neither a position (digits) nor an ISO-8601 time`);
  }
  return { time: new Date(time) };
};

/** `apex report balances`: every agent's account as the log says it was at `--at`. */
export const reportBalances = async (options: ReportOptions): Promise<void> => {
  const at = parseAt(options.at);
  const store = await openStore(options.store);
  try {
    const state = await evaluateAsOf(
      balancesProjection,
      store.readAll(),
      at ?? { position: await store.headPosition() },
    );
    const rows = [...state.agents.values()]
      .sort((a, b) => (a.agentId < b.agentId ? -1 : 1))
      .map((agent) => ({
        agent: agent.agentId,
        balance: formatApx(agent.balance),
        reserved: formatApx(agent.reserved),
        debtLimit: formatApx(agent.debtLimit),
        status: agent.status,
        credited: formatApx(agent.totalCredited),
        charged: formatApx(agent.totalCharged),
        penalties: formatApx(agent.totalPenalties),
        lastMovementPosition: agent.lastMovementPosition?.toString() ?? '',
      }));
    process.stdout.write(renderRows(rows, options.format));
  } finally {
    await store.close();
  }
};
