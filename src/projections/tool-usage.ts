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

/**
 * How a tool was used. `calls` counts tool calls with a recorded outcome (succeeded, failed or
 * denied); spend comes from the ledger's charges, duration from the outcomes.
 */
export interface ToolStats {
  calls: number;
  successes: number;
  failures: number;
  denials: number;
  spend: MicroApx;
  totalDurationMs: number;
}

export interface ToolUsageState {
  readonly byTool: Map<string, ToolStats>;
  /** agent → tool → stats */
  readonly byAgent: Map<string, Map<string, ToolStats>>;
  readonly sessionAgents: Map<string, string>;
}

const emptyStats = (): ToolStats => ({
  calls: 0,
  successes: 0,
  failures: 0,
  denials: 0,
  spend: 0n,
  totalDurationMs: 0,
});

const statsOf = (table: Map<string, ToolStats>, tool: string): ToolStats => {
  let stats = table.get(tool);
  if (stats === undefined) {
    stats = emptyStats();
    table.set(tool, stats);
  }
  return stats;
};

/** The stats rows one event updates: the tool's, and the agent's for that tool when the agent is known. */
const rowsFor = (state: ToolUsageState, tool: string, agent: string | undefined): ToolStats[] => {
  const rows = [statsOf(state.byTool, tool)];
  if (agent !== undefined) {
    let agentTools = state.byAgent.get(agent);
    if (agentTools === undefined) {
      agentTools = new Map();
      state.byAgent.set(agent, agentTools);
    }
    rows.push(statsOf(agentTools, tool));
  }
  return rows;
};

const apply = (state: ToolUsageState, event: DomainEvent, recorded: RecordedEvent): void => {
  trackSessionAgent(state.sessionAgents, event, recorded);
  switch (event.type) {
    case 'ToolCallSucceeded':
    case 'ToolCallFailed':
    case 'ToolCallDenied': {
      const agent = agentOfSessionEvent(recorded, state.sessionAgents);
      for (const row of rowsFor(state, event.data.tool, agent)) {
        row.calls += 1;
        if (event.type === 'ToolCallDenied') {
          row.denials += 1;
          continue;
        }
        if (event.type === 'ToolCallSucceeded') row.successes += 1;
        else row.failures += 1;
        row.totalDurationMs += event.data.durationMs;
      }
      return;
    }
    case 'ToolCallCharged':
      for (const row of rowsFor(state, event.data.tool, agentIdOfAccount(recorded.stream))) {
        row.spend += event.data.amount;
      }
      return;
    default:
      return;
  }
};

interface StatsJson extends Omit<ToolStats, 'spend'> {
  readonly spend: string;
}
const statsToJson = (stats: ToolStats): StatsJson => ({ ...stats, spend: bigintToJson(stats.spend) });
const statsFromJson = (json: StatsJson): ToolStats => ({ ...json, spend: bigintFromJson(json.spend) });
const cloneTable = (table: Map<string, ToolStats>) => new Map([...table].map(([tool, stats]) => [tool, { ...stats }]));

interface ToolUsageJson {
  readonly byTool: readonly (readonly [string, StatsJson])[];
  readonly byAgent: readonly (readonly [string, readonly (readonly [string, StatsJson])[]])[];
  readonly sessionAgents: readonly (readonly [string, string])[];
}

export const toolUsageProjection = defineProjection<ToolUsageState, ToolUsageJson>({
  name: 'tool-usage',
  version: 1,
  eventTypes: [
    'SessionStarted',
    'SessionEnded',
    'ToolCallSucceeded',
    'ToolCallFailed',
    'ToolCallDenied',
    'ToolCallCharged',
  ],
  initialState: () => ({ byTool: new Map(), byAgent: new Map(), sessionAgents: new Map() }),
  apply,
  clone: (state) => ({
    byTool: cloneTable(state.byTool),
    byAgent: new Map([...state.byAgent].map(([agent, tools]) => [agent, cloneTable(tools)])),
    sessionAgents: new Map(state.sessionAgents),
  }),
  toJson: (state) => ({
    byTool: [...state.byTool].map(([tool, stats]) => [tool, statsToJson(stats)] as const),
    byAgent: [...state.byAgent].map(
      ([agent, tools]) => [agent, [...tools].map(([tool, stats]) => [tool, statsToJson(stats)] as const)] as const,
    ),
    sessionAgents: [...state.sessionAgents],
  }),
  fromJson: (json) => ({
    byTool: new Map(json.byTool.map(([tool, stats]) => [tool, statsFromJson(stats)])),
    byAgent: new Map(
      json.byAgent.map(([agent, tools]) => [
        agent,
        new Map(tools.map(([tool, stats]) => [tool, statsFromJson(stats)])),
      ]),
    ),
    sessionAgents: new Map(json.sessionAgents),
  }),
});

export const toolStatsOf = (state: ToolUsageState, tool: string): ToolStats | undefined => state.byTool.get(tool);

export const agentToolStatsOf = (state: ToolUsageState, agent: string, tool: string): ToolStats | undefined =>
  state.byAgent.get(agent)?.get(tool);
