import { formatApx, type MicroApx } from '../domain/money.js';
import type { AccountStatementState } from '../projections/account-statement.js';
import {
  type AgentLedgerView,
  type BalancesState,
  type HealthMetricsState,
  healthReport,
  type IncidentsState,
  incidentCounts,
  type RequestRegistryState,
  type ToolStats,
  type ToolUsageState,
} from '../projections/index.js';
import type { Cell, Row } from './render.js';

/** The point in the log a report reflects: the last event folded, and the moment (for ages). */
export interface ReportMoment {
  /** Position of the last event folded; undefined when none was. */
  readonly position: bigint | undefined;
  /** `--at`'s time; for `--at POSITION` the last folded event's timestamp; without `--at`, now. */
  readonly time: string | undefined;
}

export type Section =
  | { readonly title: string; readonly pairs: readonly (readonly [string, Cell])[] }
  | { readonly title: string; readonly columns: readonly string[]; readonly rows: readonly Row[] };

/** One report in its three forms: a JSON document, one CSV table, and sections for a person to read. */
export interface ReportView {
  readonly json: unknown;
  readonly csv: { readonly columns: readonly string[]; readonly rows: readonly Row[] };
  readonly sections: readonly Section[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const optionalApx = (amount: MicroApx | undefined): string | null => (amount === undefined ? null : formatApx(amount));
const asOfJson = (moment: ReportMoment) => ({
  position: moment.position?.toString() ?? null,
  time: moment.time ?? null,
});
const asOfPairs = (moment: ReportMoment): (readonly [string, Cell])[] => [
  ['as of position', moment.position?.toString() ?? '(empty log)'],
  ['as of time', moment.time ?? ''],
];
/** JSON's null as an empty table cell. */
const cellsOf = (record: Readonly<Record<string, Cell | null>>): Row =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, value ?? '']));

/** `report balances`: its rows are a public contract (field names and order). */
export const balancesView = (state: BalancesState): ReportView => {
  const rows = [...state.agents.values()]
    .sort((a, b) => byName(a.agentId, b.agentId))
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
  const columns = [
    'agent',
    'balance',
    'reserved',
    'debtLimit',
    'status',
    'credited',
    'charged',
    'penalties',
    'lastMovementPosition',
  ];
  return { json: rows, csv: { columns, rows }, sections: [{ title: '', columns, rows }] };
};

const accountJson = (agent: AgentLedgerView) => ({
  agent: agent.agentId,
  name: agent.name,
  role: agent.role,
  balance: formatApx(agent.balance),
  reserved: formatApx(agent.reserved),
  /** What a new reservation may still use: balance + debt limit − reserved. */
  available: formatApx(agent.balance + agent.debtLimit - agent.reserved),
  debtLimit: formatApx(agent.debtLimit),
  status: agent.status,
  pip:
    agent.openPip === undefined
      ? null
      : {
          since: agent.openPip.at,
          position: agent.openPip.position.toString(),
          balance: formatApx(agent.openPip.balance),
        },
  suspension:
    agent.suspension === undefined
      ? null
      : { reason: agent.suspension.reason, detail: agent.suspension.detail, since: agent.suspension.at },
  credited: formatApx(agent.totalCredited),
  charged: formatApx(agent.totalCharged),
  penalties: formatApx(agent.totalPenalties),
});

/** `report agent ID`: the account, and every movement that made its balance with a running balance. */
export const agentView = (
  agent: AgentLedgerView,
  statement: AccountStatementState,
  moment: ReportMoment,
): ReportView => {
  const account = accountJson(agent);
  const movements = statement.lines.map((line) => ({
    position: line.position.toString(),
    time: line.at,
    event: line.event,
    amount: formatApx(line.amount),
    balance: formatApx(line.balance),
    tool: line.tool ?? null,
    correlationId: line.correlationId ?? null,
    reason: line.reason ?? null,
  }));
  const columns = ['position', 'time', 'event', 'amount', 'balance', 'tool', 'correlationId', 'reason'];
  const rows = movements.map(cellsOf);
  return {
    json: { asOf: asOfJson(moment), account, movements },
    csv: { columns, rows },
    sections: [
      {
        title: `Agent ${agent.agentId}`,
        pairs: [
          ...asOfPairs(moment),
          ['name', account.name],
          ['role', account.role],
          ['status', account.status],
          ['balance', account.balance],
          ['reserved', account.reserved],
          ['available', account.available],
          ['debt limit', account.debtLimit],
          ['PIP', account.pip === null ? 'none' : `since ${account.pip.since} (balance then ${account.pip.balance})`],
          [
            'suspension',
            account.suspension === null
              ? 'none'
              : `${account.suspension.reason} since ${account.suspension.since}: ${account.suspension.detail}`,
          ],
          ['credited / charged / penalties', `${account.credited} / ${account.charged} / ${account.penalties}`],
        ],
      },
      { title: `Movements (${movements.length}; the last line's balance is the balance above)`, columns, rows },
    ],
  };
};

/** `report requests`: requests in flight with their age at the report's moment, and the last timed-out ones. */
export const requestsView = (state: RequestRegistryState, moment: ReportMoment): ReportView => {
  const momentMs = moment.time === undefined ? undefined : Date.parse(moment.time);
  const active = [...state.active.values()]
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))
    .map((request) => ({
      session: request.session,
      requestId: request.requestId,
      method: request.method,
      agent: request.agent ?? null,
      receivedAt: request.receivedAt,
      position: request.position.toString(),
      ageMs: momentMs === undefined ? null : momentMs - Date.parse(request.receivedAt),
    }));
  const timedOut = state.recentlyTimedOut.map((request) => ({
    session: request.session,
    requestId: request.requestId,
    method: request.method,
    agent: request.agent ?? null,
    receivedAt: request.receivedAt,
    position: request.position.toString(),
    timedOutAt: request.timedOutAt,
    ttlMs: request.ttlMs,
    ageMs: request.ageMs,
  }));
  const columns = [
    'state',
    'session',
    'requestId',
    'method',
    'agent',
    'receivedAt',
    'position',
    'ageMs',
    'timedOutAt',
    'ttlMs',
  ];
  const activeColumns = ['session', 'requestId', 'method', 'agent', 'receivedAt', 'position', 'ageMs'];
  const timedOutColumns = ['session', 'requestId', 'method', 'agent', 'receivedAt', 'timedOutAt', 'ttlMs', 'ageMs'];
  return {
    json: { asOf: asOfJson(moment), active, timedOut },
    csv: {
      columns,
      rows: [
        ...active.map((request) => cellsOf({ state: 'active', ...request, timedOutAt: null, ttlMs: null })),
        ...timedOut.map((request) => cellsOf({ state: 'timed_out', ...request })),
      ],
    },
    sections: [
      { title: 'Requests', pairs: asOfPairs(moment) },
      { title: `Active (${active.length})`, columns: activeColumns, rows: active.map(cellsOf) },
      { title: `Timed out (the last ${timedOut.length} kept)`, columns: timedOutColumns, rows: timedOut.map(cellsOf) },
    ],
  };
};

const round = (value: number | undefined): number | null =>
  value === undefined ? null : Math.round(value * 1000) / 1000;

/** `report health`: totals, error rate, latency, per method, and the status the seed's thresholds give. */
export const healthView = (state: HealthMetricsState, moment: ReportMoment): ReportView => {
  const report = healthReport(state);
  const methods = Object.entries(report.methods)
    .sort(([a], [b]) => byName(a, b))
    .map(([method, counts]) => ({ method, total: counts.total, errors: counts.errors, errorRate: counts.errorRate }));
  const columns = ['method', 'total', 'errors', 'errorRate'];
  const csvColumns = [...columns, 'success', 'cancelled', 'meanMs', 'p50Ms', 'p99Ms', 'status'];
  return {
    json: {
      asOf: asOfJson(moment),
      requestsTotal: report.requestsTotal,
      requestsSuccess: report.requestsSuccess,
      requestsError: report.requestsError,
      requestsCancelled: report.requestsCancelled,
      errorRate: report.errorRate,
      meanResponseMs: report.meanResponseMs ?? null,
      p50ResponseMs: report.p50ResponseMs ?? null,
      p99ResponseMs: report.p99ResponseMs ?? null,
      status: report.status,
      methods: Object.fromEntries(methods.map(({ method, ...counts }) => [method, counts])),
    },
    csv: {
      columns: csvColumns,
      rows: [
        cellsOf({
          method: '(all)',
          total: report.requestsTotal,
          errors: report.requestsError,
          errorRate: report.errorRate,
          success: report.requestsSuccess,
          cancelled: report.requestsCancelled,
          meanMs: round(report.meanResponseMs),
          p50Ms: round(report.p50ResponseMs),
          p99Ms: round(report.p99ResponseMs),
          status: report.status,
        }),
        ...methods.map((row) => cellsOf(row)),
      ],
    },
    sections: [
      {
        title: 'Health',
        pairs: [
          ...asOfPairs(moment),
          ['status', report.status],
          ['requests finished', report.requestsTotal],
          ['succeeded', report.requestsSuccess],
          ['failed or timed out', report.requestsError],
          ['cancelled', report.requestsCancelled],
          ['error rate', `${(report.errorRate * 100).toFixed(2)}%`],
          ['mean response ms', round(report.meanResponseMs) ?? ''],
          ['p50 response ms', round(report.p50ResponseMs) ?? ''],
          ['p99 response ms', round(report.p99ResponseMs) ?? ''],
        ],
      },
      {
        title: 'Per method',
        columns,
        rows: methods.map((row) => ({ ...row, errorRate: `${(row.errorRate * 100).toFixed(2)}%` })),
      },
    ],
  };
};

const statsJson = (stats: ToolStats) => ({
  calls: stats.calls,
  successes: stats.successes,
  failures: stats.failures,
  denials: stats.denials,
  spend: formatApx(stats.spend),
  totalDurationMs: stats.totalDurationMs,
});

/** `report tools`: calls, outcomes and spend per tool, and per agent and tool. */
export const toolsView = (state: ToolUsageState, moment: ReportMoment): ReportView => {
  const byTool = [...state.byTool]
    .sort(([a], [b]) => byName(a, b))
    .map(([tool, stats]) => ({ tool, ...statsJson(stats) }));
  const byAgent = [...state.byAgent]
    .sort(([a], [b]) => byName(a, b))
    .flatMap(([agent, tools]) =>
      [...tools].sort(([a], [b]) => byName(a, b)).map(([tool, stats]) => ({ agent, tool, ...statsJson(stats) })),
    );
  const columns = ['agent', 'tool', 'calls', 'successes', 'failures', 'denials', 'spend', 'totalDurationMs'];
  const display = (row: { totalDurationMs: number }) => ({ ...row, totalDurationMs: Math.round(row.totalDurationMs) });
  return {
    json: { asOf: asOfJson(moment), byTool, byAgent },
    csv: { columns, rows: [...byTool.map((row) => ({ agent: '(all)', ...row })), ...byAgent] },
    sections: [
      { title: 'Tools', pairs: asOfPairs(moment) },
      { title: 'Per tool', columns: columns.slice(1), rows: byTool.map(display) },
      { title: 'Per agent and tool', columns, rows: byAgent.map(display) },
    ],
  };
};

/** `report incidents`: PIPs, suspensions, reinstatements, timeouts, penalties and security incidents, in log order. */
export const incidentsView = (state: IncidentsState, moment: ReportMoment): ReportView => {
  const incidents = state.incidents.map((incident) => ({
    position: incident.position.toString(),
    time: incident.at,
    kind: incident.kind,
    agent: incident.agent ?? null,
    amount: optionalApx(incident.amount),
    balance: optionalApx(incident.balance),
    correlationId: incident.correlationId ?? null,
    stream: incident.stream,
    detail: incident.detail,
  }));
  const counts = incidentCounts(state);
  const columns = ['position', 'time', 'kind', 'agent', 'amount', 'balance', 'correlationId', 'detail'];
  const rows = incidents.map(cellsOf);
  return {
    json: { asOf: asOfJson(moment), counts, incidents },
    csv: { columns: [...columns, 'stream'], rows },
    sections: [
      { title: 'Incidents', pairs: [...asOfPairs(moment), ...Object.entries(counts)] },
      { title: `In log order (${incidents.length})`, columns, rows },
    ],
  };
};
