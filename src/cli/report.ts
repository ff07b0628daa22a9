import { accountStatementProjection } from '../projections/account-statement.js';
import {
  type AsOf,
  balancesProjection,
  combineProjections,
  evaluateAsOf,
  healthMetricsProjection,
  incidentsProjection,
  type Projection,
  requestRegistryProjection,
  toolUsageProjection,
} from '../projections/index.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import { openStore } from '../store/open-store.js';
import { CliError } from './cli-error.js';
import {
  exitQuietlyWhenReaderLeaves,
  type ReportFormat,
  renderCsv,
  renderPairs,
  renderTable,
  terminalWidth,
} from './render.js';
import {
  agentView,
  balancesView,
  healthView,
  incidentsView,
  type ReportMoment,
  type ReportView,
  requestsView,
  toolsView,
} from './report-views.js';

export type { ReportFormat } from './render.js';

export type ReportKind =
  | { readonly kind: 'balances' }
  | { readonly kind: 'agent'; readonly agentId: string }
  | { readonly kind: 'requests' }
  | { readonly kind: 'health' }
  | { readonly kind: 'tools' }
  | { readonly kind: 'incidents' };

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

/** The same cut as evaluateAsOf: is this event past the `at` point? */
const isBeyond = (at: AsOf, event: RecordedEvent): boolean =>
  'position' in at ? event.position > at.position : Date.parse(event.metadata.timestamp) > at.time.getTime();

/**
 * Folds `projection` over the log up to `at` (default: the head as it is now) in one streamed
 * pass, and says which event it stopped at, so every report can name the moment it reflects.
 */
const evaluateReport = async <State>(
  store: EventStore,
  projection: Projection<State>,
  at: AsOf | undefined,
): Promise<{ state: State; moment: ReportMoment }> => {
  const now = new Date();
  const cut = at ?? { position: await store.headPosition() };
  const seen: { last?: RecordedEvent; previous?: RecordedEvent } = {};
  async function* tracked(): AsyncIterable<RecordedEvent> {
    for await (const event of store.readAll()) {
      seen.previous = seen.last;
      seen.last = event;
      yield event;
    }
  }
  const state = await evaluateAsOf(projection, tracked(), cut);
  const lastFolded = seen.last !== undefined && isBeyond(cut, seen.last) ? seen.previous : seen.last;
  const time =
    at === undefined ? now.toISOString() : 'time' in at ? at.time.toISOString() : lastFolded?.metadata.timestamp;
  return { state, moment: { position: lastFolded?.position, time } };
};

const buildView = async (store: EventStore, report: ReportKind, at: AsOf | undefined): Promise<ReportView> => {
  switch (report.kind) {
    case 'balances':
      return balancesView((await evaluateReport(store, balancesProjection, at)).state);
    case 'agent': {
      const projection = combineProjections({
        balances: balancesProjection,
        statement: accountStatementProjection(report.agentId),
      });
      const { state, moment } = await evaluateReport(store, projection, at);
      const agent = state.balances.agents.get(report.agentId);
      if (agent === undefined) {
        const known = [...state.balances.agents.keys()].sort();
        throw new CliError(
          `no agent ${JSON.stringify(report.agentId)} in the log${at === undefined ? '' : ' at that moment'}; ` +
            `it knows: ${known.join(', ') || 'none'}`,
        );
      }
      return agentView(agent, state.statement, moment);
    }
    case 'requests': {
      const { state, moment } = await evaluateReport(store, requestRegistryProjection, at);
      return requestsView(state, moment);
    }
    case 'health': {
      const { state, moment } = await evaluateReport(store, healthMetricsProjection, at);
      return healthView(state, moment);
    }
    case 'tools': {
      const { state, moment } = await evaluateReport(store, toolUsageProjection, at);
      return toolsView(state, moment);
    }
    case 'incidents': {
      const { state, moment } = await evaluateReport(store, incidentsProjection, at);
      return incidentsView(state, moment);
    }
  }
};

/** Sections for a person: titled key/value blocks and tables, fitted to the terminal when there is one. */
const renderSections = (view: ReportView): string => {
  const maxWidth = terminalWidth();
  return view.sections
    .map((section) => {
      const title = section.title === '' ? '' : `${section.title}\n`;
      if ('pairs' in section) return title + renderPairs(section.pairs, maxWidth);
      return title + renderTable(section.rows, { columns: section.columns, maxWidth });
    })
    .join('\n');
};

export const renderReport = (view: ReportView, format: ReportFormat): string => {
  if (format === 'json') return `${JSON.stringify(view.json, null, 2)}\n`;
  if (format === 'csv') return renderCsv(view.csv.rows, view.csv.columns);
  return renderSections(view);
};

/** `apex report <kind>`: one projection of the log, as it was at `--at` (default: now). */
export const runReport = async (report: ReportKind, options: ReportOptions): Promise<void> => {
  const at = parseAt(options.at);
  exitQuietlyWhenReaderLeaves();
  const store = await openStore(options.store);
  try {
    process.stdout.write(renderReport(await buildView(store, report, at), options.format));
  } finally {
    await store.close();
  }
};

/** `apex report balances`: every agent's account as the log says it was at `--at`. */
export const reportBalances = (options: ReportOptions): Promise<void> => runReport({ kind: 'balances' }, options);
