import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatApx } from '../domain/money.js';
import {
  type AsOf,
  balancesProjection,
  checkpointNameOf,
  combineProjections,
  healthMetricsProjection,
  healthReport,
  type Projection,
  requestRegistryProjection,
  toolUsageProjection,
} from '../projections/index.js';
import type { EventStore } from '../store/event-store.js';
import { openStore, parseStoreUrl } from '../store/open-store.js';
import { openSqliteCheckpointStore, type SqliteCheckpointStore } from '../store/sqlite/index.js';
import { CliError } from './cli-error.js';
import { diffJson, showJson } from './json-diff.js';
import { renderRows } from './render.js';
import { replaySession } from './replay-session.js';
import { parseAt } from './report.js';

export type ReplayFormat = 'table' | 'json';

export interface ReplayOptions {
  readonly store: string;
  readonly rebuild?: boolean;
  readonly until?: string;
  readonly session?: string;
  readonly config?: string;
  /** Checkpoints file for --rebuild; default beside the SQLite store (see checkpointsPathFor). */
  readonly checkpoints?: string;
  readonly format: ReplayFormat;
}

/** Every read model, folded in one pass (one decode per event). */
export const REPLAYED_PROJECTIONS = {
  balances: balancesProjection,
  requestRegistry: requestRegistryProjection,
  health: healthMetricsProjection,
  toolUsage: toolUsageProjection,
} as const;
type PartName = keyof typeof REPLAYED_PROJECTIONS;
const PART_NAMES = Object.keys(REPLAYED_PROJECTIONS) as PartName[];
export const allProjections = combineProjections(REPLAYED_PROJECTIONS);
type AllStates = ReturnType<typeof allProjections.initialState>;

/** Where checkpoints live when the events are not in a SQLite file. */
export const DEFAULT_CHECKPOINTS_FILE = './apex-data/checkpoints.db';

/** `sqlite:./apex-data/events.db` → `./apex-data/events.checkpoints.db`: a sibling file, never the events file. */
export const checkpointsPathFor = (storeUrl: string): string => {
  const location = parseStoreUrl(storeUrl);
  if (location.engine !== 'sqlite') return DEFAULT_CHECKPOINTS_FILE;
  if (location.path === ':memory:') return ':memory:';
  return `${location.path.replace(/\.(db|sqlite3?)$/, '')}.checkpoints.db`;
};

/** `apex replay`: exactly one of --rebuild, --until, --session. Returns the exit code (0: no difference). */
export const replay = async (options: ReplayOptions): Promise<number> => {
  const modes = [options.rebuild === true, options.until !== undefined, options.session !== undefined];
  if (modes.filter(Boolean).length !== 1) {
    throw new CliError('choose one of --rebuild, --until POSITION|TIME or --session ID');
  }
  if (options.session !== undefined) {
    return replaySession({
      store: options.store,
      session: options.session,
      config: options.config,
      format: options.format,
    });
  }
  const at = options.until === undefined ? undefined : parseAt(options.until);
  const store = await openStore(options.store);
  try {
    if (at !== undefined) return await printStateBefore(store, at, options);
    const path = options.checkpoints ?? checkpointsPathFor(options.store);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const checkpoints = openSqliteCheckpointStore(path);
    try {
      return await rebuildAndCompare(store, checkpoints, path, options.format);
    } finally {
      checkpoints.close();
    }
  } finally {
    await store.close();
  }
};

// ---------------------------------------------------------------------------------------------
// --rebuild

interface CheckpointDifference {
  readonly projection: string;
  readonly path: string;
  readonly checkpointed: unknown;
  readonly rebuilt: unknown;
}

interface CheckpointVerdict {
  readonly name: string;
  readonly position: bigint;
  readonly differences: readonly CheckpointDifference[];
}

/** The checkpoint names this build writes: the combined fold's, and each projection's own (as the runner names them). */
const partByCheckpointName = new Map<string, PartName>(
  PART_NAMES.map((part) => [checkpointNameOf(REPLAYED_PROJECTIONS[part]), part]),
);
const combinedCheckpointName = checkpointNameOf(allProjections);

/** Compares through each projection's own serialization, so equal states compare equal whatever their in-memory shape. */
const compareParts = (
  restored: Partial<Record<PartName, unknown>>,
  rebuilt: AllStates,
  parts: readonly PartName[],
): CheckpointDifference[] =>
  parts.flatMap((part) => {
    const projection = REPLAYED_PROJECTIONS[part] as Projection<unknown>;
    const checkpointed = JSON.parse(projection.serialize(restored[part])) as unknown;
    const current = JSON.parse(projection.serialize(rebuilt[part])) as unknown;
    return diffJson(checkpointed, current).map((difference) => ({
      projection: projection.name,
      path: difference.path,
      checkpointed: difference.left,
      rebuilt: difference.right,
    }));
  });

const verdictOf = (name: string, position: bigint, stateJson: string, rebuilt: AllStates): CheckpointVerdict => {
  const part = partByCheckpointName.get(name);
  try {
    const differences =
      part === undefined
        ? compareParts(allProjections.deserialize(stateJson), rebuilt, PART_NAMES)
        : compareParts({ [part]: REPLAYED_PROJECTIONS[part].deserialize(stateJson) }, rebuilt, [part]);
    return { name, position, differences };
  } catch (error) {
    return {
      name,
      position,
      differences: [
        {
          projection: name,
          path: '(checkpoint)',
          checkpointed: `unreadable: ${(error as Error).message}`,
          rebuilt: '',
        },
      ],
    };
  }
};

/**
 * Folds the whole log from position 0 and compares the state at each checkpoint's position with
 * what the checkpoint holds. With no checkpoint yet, writes one at the head. When all match, the
 * combined checkpoint is moved to the head (a state just rebuilt from scratch is a sound one).
 */
const rebuildAndCompare = async (
  store: EventStore,
  checkpoints: SqliteCheckpointStore,
  path: string,
  format: ReplayFormat,
): Promise<number> => {
  const stored = await checkpoints.list();
  const known = stored
    .filter((checkpoint) => checkpoint.name === combinedCheckpointName || partByCheckpointName.has(checkpoint.name))
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  const ignored = stored.filter((checkpoint) => !known.includes(checkpoint)).map((checkpoint) => checkpoint.name);

  const state = allProjections.initialState();
  const verdicts: CheckpointVerdict[] = [];
  let pending = 0;
  let lastPosition = -1n;
  let events = 0;
  for await (const event of store.readAll()) {
    while (pending < known.length && known[pending]!.position < event.position) {
      const checkpoint = known[pending++]!;
      verdicts.push(verdictOf(checkpoint.name, checkpoint.position, checkpoint.stateJson, state));
    }
    allProjections.evolveInPlace(state, event);
    lastPosition = event.position;
    events += 1;
  }
  for (const checkpoint of known.slice(pending)) {
    verdicts.push(
      checkpoint.position > lastPosition
        ? {
            name: checkpoint.name,
            position: checkpoint.position,
            differences: [
              {
                projection: checkpoint.name,
                path: 'position',
                checkpointed: checkpoint.position.toString(),
                rebuilt: `the log ends at ${lastPosition}: events are missing, or the checkpoint is another store's`,
              },
            ],
          }
        : verdictOf(checkpoint.name, checkpoint.position, checkpoint.stateJson, state),
    );
  }

  const differences = verdicts.reduce((sum, verdict) => sum + verdict.differences.length, 0);
  let written: string | undefined;
  const combined = known.find((checkpoint) => checkpoint.name === combinedCheckpointName);
  if (differences === 0 && lastPosition >= 0n && combined?.position !== lastPosition) {
    await checkpoints.save(combinedCheckpointName, lastPosition, allProjections.serialize(state));
    written =
      known.length === 0
        ? `no checkpoint yet in ${path}: wrote ${combinedCheckpointName} at position ${lastPosition}`
        : `checkpoint ${combinedCheckpointName} in ${path} moved to position ${lastPosition}`;
  }

  if (format === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        {
          ok: differences === 0,
          events,
          lastPosition: lastPosition.toString(),
          checkpointsFile: path,
          checkpoints: verdicts.map((verdict) => ({ ...verdict, position: verdict.position.toString() })),
          ignoredCheckpoints: ignored,
          written: written ?? null,
        },
        null,
        2,
      )}\n`,
    );
    return differences === 0 ? 0 : 1;
  }

  const lines = [`rebuilt ${events} events (to position ${lastPosition}) from position 0`];
  for (const name of ignored) lines.push(`ignored checkpoint ${name}: not one of this build's projection versions`);
  for (const verdict of verdicts) {
    lines.push(
      `checkpoint ${verdict.name} at position ${verdict.position}: ${verdict.differences.length === 0 ? 'equal' : `${verdict.differences.length} difference(s)`}`,
    );
    for (const difference of verdict.differences) {
      lines.push(
        `  ${difference.projection}  ${difference.path}  checkpointed ${showJson(difference.checkpointed)}  rebuilt ${showJson(difference.rebuilt)}`,
      );
    }
  }
  if (written !== undefined) lines.push(written);
  lines.push(
    differences === 0
      ? `ok: ${verdicts.length === 0 ? 'nothing to compare yet' : 'every checkpoint equals the rebuilt state'}`
      : `DIFFERENT: ${differences} value(s) differ between the checkpoints and the rebuild`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return differences === 0 ? 0 : 1;
};

// ---------------------------------------------------------------------------------------------
// --until

const isAtOrPast = (at: AsOf) =>
  'position' in at
    ? (event: { position: bigint }) => event.position >= at.position
    : (event: { metadata: { timestamp: string } }) => Date.parse(event.metadata.timestamp) >= at.time.getTime();

/** Every read model as it was just before `at`: the fold of the events before that position, or of the prefix stamped before that time. */
const printStateBefore = async (store: EventStore, at: AsOf, options: ReplayOptions): Promise<number> => {
  const state = allProjections.initialState();
  const reached = isAtOrPast(at) as (event: { position: bigint; metadata: { timestamp: string } }) => boolean;
  let lastPosition = -1n;
  let events = 0;
  for await (const event of store.readAll()) {
    if (reached(event)) break;
    allProjections.evolveInPlace(state, event);
    lastPosition = event.position;
    events += 1;
  }
  const view = stateView(state);
  const heading = `state before ${options.until}: ${events} events, to position ${lastPosition}`;
  if (options.format === 'json') {
    process.stdout.write(
      `${JSON.stringify({ until: options.until, events, lastPosition: lastPosition.toString(), ...view }, null, 2)}\n`,
    );
    return 0;
  }
  const sections = Object.entries(view).map(
    ([title, rows]) => `${title}\n${renderRows(Array.isArray(rows) ? rows : [rows], 'table')}`,
  );
  process.stdout.write(`${heading}\n\n${sections.join('\n')}`);
  return 0;
};

type Row = Record<string, string | number | boolean>;

const stateView = (state: AllStates): Record<string, Row[] | Row> => {
  const health = healthReport(state.health);
  return {
    balances: [...state.balances.agents.values()]
      .sort((a, b) => (a.agentId < b.agentId ? -1 : 1))
      .map((agent) => ({
        agent: agent.agentId,
        balance: formatApx(agent.balance),
        reserved: formatApx(agent.reserved),
        debtLimit: formatApx(agent.debtLimit),
        status: agent.status,
        charged: formatApx(agent.totalCharged),
        penalties: formatApx(agent.totalPenalties),
      })),
    bank: { balance: formatApx(state.balances.bank.balance) },
    activeRequests: [...state.requestRegistry.active.values()].map((request) => ({
      session: request.session,
      requestId: String(request.requestId),
      method: request.method,
      agent: request.agent ?? '',
      receivedAt: request.receivedAt,
      position: request.position.toString(),
    })),
    recentTimeouts: state.requestRegistry.recentlyTimedOut.map((request) => ({
      session: request.session,
      requestId: String(request.requestId),
      method: request.method,
      timedOutAt: request.timedOutAt,
      ttlMs: request.ttlMs,
      ageMs: request.ageMs,
    })),
    health: {
      status: health.status,
      requestsTotal: health.requestsTotal,
      requestsSuccess: health.requestsSuccess,
      requestsError: health.requestsError,
      requestsCancelled: health.requestsCancelled,
      errorRate: health.errorRate,
    },
    toolUsage: [...state.toolUsage.byTool].map(([tool, stats]) => ({
      tool,
      calls: stats.calls,
      successes: stats.successes,
      failures: stats.failures,
      denials: stats.denials,
      spend: formatApx(stats.spend),
      totalDurationMs: Math.round(stats.totalDurationMs),
    })),
  };
};
