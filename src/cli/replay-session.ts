import { randomUUID } from 'node:crypto';
import { formatApx } from '../domain/money.js';
import { REDACTED } from '../domain/session/redact.js';
import { balancesProjection, foldRecorded, ledgerOf } from '../projections/index.js';
import { McpConnection } from '../server/connection.js';
import { createServerContext } from '../server/server-context.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import { openStore } from '../store/open-store.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { InvalidStreamName, streamName } from '../store/stream-name.js';
import { CliError } from './cli-error.js';
import { type EventToCopy, OrderedCopier } from './import.js';
import { showJson } from './json-diff.js';
import { createLogger } from './logger.js';
import { readConfig } from './serve.js';
import { comparable, diffSessions, type EventDifference } from './session-diff.js';

export interface ReplaySessionOptions {
  readonly store: string;
  readonly session: string;
  readonly config?: string;
  readonly format: 'table' | 'json';
}

interface RecordedRequest {
  readonly requestId: string | number;
  readonly method: string;
  readonly params?: unknown;
}

/** Methods whose requests always carry params: without them, the session was recorded with `recording.params: none`. */
const METHODS_WITH_PARAMS = new Set([
  'initialize',
  'tools/call',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/get',
  'logging/setLevel',
  'completion/complete',
]);

/** What `recording.params: names-only` leaves of a value (redact.ts's typeName). */
const TYPE_NAMES = new Set(['string', 'number', 'boolean', 'null', 'undefined', 'bigint', 'symbol', 'function']);

function* leavesOf(value: unknown): Generator<unknown> {
  if (Array.isArray(value)) for (const item of value) yield* leavesOf(item);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) yield* leavesOf(item);
  else yield value;
}

/** The recording policy a session was written under, told from its params (the policy itself is not an event). */
const recordingPolicyOf = (requests: readonly RecordedRequest[]): 'full' | 'names-only' | 'none' => {
  let leaves = 0;
  for (const request of requests) {
    if (request.params === undefined) continue;
    for (const leaf of leavesOf(request.params)) {
      if (!(typeof leaf === 'string' && TYPE_NAMES.has(leaf))) return 'full';
      leaves += 1;
    }
  }
  if (leaves > 0) return 'names-only';
  return requests.some((request) => request.params === undefined && METHODS_WITH_PARAMS.has(request.method))
    ? 'none'
    : 'full';
};

/** How correlation ids name a request (server/outcome.ts correlationIdOf). */
const requestKeyOf = (id: string | number): string => (typeof id === 'number' ? String(id) : JSON.stringify(id));

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
};

const copyOf = (event: RecordedEvent): EventToCopy => ({
  id: event.id,
  stream: event.stream,
  revision: event.revision,
  event: {
    id: event.id,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
  },
  hash: event.hash,
  prevHash: event.prevHash,
  position: event.position,
  bytes: JSON.stringify(event.data).length,
});

interface BalanceDifference {
  readonly agent: string;
  readonly field: string;
  readonly recorded: string;
  readonly replayed: string;
}

const balanceFields = (events: readonly RecordedEvent[], agent: string): Record<string, string> => {
  const view = ledgerOf(foldRecorded(balancesProjection, events), agent);
  if (view === undefined) return {};
  return {
    balance: formatApx(view.balance),
    reserved: formatApx(view.reserved),
    charged: formatApx(view.totalCharged),
    penalties: formatApx(view.totalPenalties),
    status: view.status,
  };
};

interface RecordedSession {
  readonly sessionId: string;
  readonly agent: string;
  readonly transport: 'stdio' | 'http';
  readonly requests: readonly RecordedRequest[];
  readonly endReason: string | undefined;
  /** The session's stream and every event correlated to its requests. */
  readonly events: readonly RecordedEvent[];
  /** The agent's streams (ledger, memory, security) before the session started. */
  readonly opening: readonly RecordedEvent[];
}

const readRecordedSession = async (store: EventStore, sessionId: string): Promise<RecordedSession> => {
  const stream = streamName.session(sessionId);
  const sessionEvents = await collect(store.readStream(stream));
  const started = sessionEvents[0];
  if (started === undefined || started.type !== 'SessionStarted') {
    throw new CliError(
      `no session ${sessionId} in this store (stream ${stream} is empty or does not start with SessionStarted)`,
    );
  }
  const { agent, transport } = started.data as { agent: string; transport: string };
  const agentStreams = new Set([streamName.agent(agent), streamName.memory(agent), streamName.security(agent)]);
  const prefix = `${sessionId}:`;
  const last = sessionEvents.at(-1)!.position;
  const opening: RecordedEvent[] = [];
  const correlated: RecordedEvent[] = [];
  for await (const event of store.readAll()) {
    if (event.position > last) break;
    if (event.position < started.position) {
      if (agentStreams.has(event.stream)) opening.push(event);
    } else if (event.stream !== stream && event.metadata.correlationId?.startsWith(prefix) === true) {
      correlated.push(event);
    }
  }
  const ended = sessionEvents.find((event) => event.type === 'SessionEnded');
  return {
    sessionId,
    agent,
    transport: transport === 'http' ? 'http' : 'stdio',
    requests: sessionEvents
      .filter((event) => event.type === 'RequestReceived')
      .map((event) => event.data as RecordedRequest),
    endReason: ended === undefined ? undefined : (ended.data as { reason: string }).reason,
    events: [...sessionEvents, ...correlated].sort((a, b) => (a.position < b.position ? -1 : 1)),
    opening,
  };
};

/** Re-drives the requests against a scratch in-memory store seeded with the agent's opening state. */
const replayRequests = async (
  recorded: RecordedSession,
  config: ReturnType<typeof readConfig>,
): Promise<{ sessionId: string; events: RecordedEvent[]; ledger: RecordedEvent[] }> => {
  const scratch = openSqliteStore({ path: ':memory:', durability: 'normal' });
  try {
    const copier = new OrderedCopier(scratch, true, -1n);
    for (const event of recorded.opening) await copier.add(copyOf(event));
    await copier.flush();
    const openingHead = await scratch.headPosition();

    const context = await createServerContext({
      store: scratch,
      config,
      logger: createLogger(process.env.APEX_LOG_LEVEL ?? 'error'),
    });
    const sessionId = `replay-${randomUUID()}`;
    try {
      const connection = await McpConnection.open(context, {
        transport: recorded.transport,
        agent: recorded.agent,
        sessionId,
        send: () => undefined,
      });
      for (const request of recorded.requests) {
        await connection.handle({
          kind: 'request',
          id: request.requestId,
          method: request.method,
          params: request.params,
        });
        // Notifications are not recorded; a legacy client sends this one after its initialize.
        if (request.method === 'initialize') {
          await connection.handle({ kind: 'notification', method: 'notifications/initialized', params: undefined });
        }
      }
      await connection.close(recorded.endReason ?? 'replay finished');
    } finally {
      await context.close();
    }

    const stream = streamName.session(sessionId);
    const prefix = `${sessionId}:`;
    const events: RecordedEvent[] = [];
    for await (const event of scratch.readAll({ after: openingHead })) {
      if (event.stream === stream || event.metadata.correlationId?.startsWith(prefix) === true) events.push(event);
    }
    // A recorded session that never ended (the process died) has no SessionEnded to compare with.
    const comparedEvents =
      recorded.endReason === undefined ? events.filter((event) => event.type !== 'SessionEnded') : events;
    const ledger = await collect(scratch.readStream(streamName.agent(recorded.agent)));
    return { sessionId, events: comparedEvents, ledger };
  } finally {
    await scratch.close();
  }
};

/**
 * `apex replay --session ID`: re-drives a recorded session's requests against this build and a
 * configuration, then shows how the recorded session and ledger events differ from the replayed
 * ones. Returns the exit code: 0 no difference, 1 differences.
 */
export const replaySession = async (options: ReplaySessionOptions): Promise<number> => {
  if (options.config === undefined) {
    throw new CliError('replay --session needs --config FILE: the configuration to replay the session against');
  }
  const config = readConfig(options.config);
  const sessionId = options.session.replace(/^session-/, '');
  try {
    streamName.session(sessionId);
  } catch (error) {
    if (error instanceof InvalidStreamName)
      throw new CliError(`--session ${JSON.stringify(options.session)} is not a session id`);
    throw error;
  }

  const store = await openStore(options.store);
  let recorded: RecordedSession;
  try {
    recorded = await readRecordedSession(store, sessionId);
  } finally {
    await store.close();
  }
  if (!config.agents.has(recorded.agent)) {
    throw new CliError(`the session's agent ${JSON.stringify(recorded.agent)} is not in ${options.config}`);
  }
  const policy = recordingPolicyOf(recorded.requests);
  if (policy !== 'full') {
    throw new CliError(
      `session ${sessionId} was recorded with recording.params "${policy}": its requests' params are not in the log, ` +
        'so it cannot be replayed. Only sessions recorded with recording.params "full" can.',
    );
  }
  const notes: string[] = [];
  recorded.requests.forEach((request) => {
    if ([...leavesOf(request.params)].includes(REDACTED)) {
      notes.push(
        `request ${requestKeyOf(request.requestId)} had secret values redacted when recorded; they are replayed as "${REDACTED}"`,
      );
    }
  });
  for (const event of recorded.events) {
    if (event.type === 'RequestCancelled') {
      notes.push(
        `request ${requestKeyOf((event.data as { requestId: string | number }).requestId)} was cancelled by its client; the replay runs it to its end`,
      );
    }
  }

  // Rejected messages (bad JSON, oversized, …) are not requests: their bytes are not recorded, so they cannot be re-sent.
  const rejected = recorded.events.filter((event) => event.type === 'MessageRejected').length;
  if (rejected > 0) notes.push(`${rejected} rejected message(s) were recorded; they are not replayed nor compared`);

  const replayed = await replayRequests(recorded, config);
  const differences = diffSessions(
    recorded.events.filter((event) => event.type !== 'MessageRejected').map((event) => comparable(event, sessionId)),
    replayed.events.map((event) => comparable(event, replayed.sessionId)),
  );
  const ledgerStream = streamName.agent(recorded.agent);
  const recordedBalance = balanceFields(
    [...recorded.opening, ...recorded.events].filter((event) => event.stream === ledgerStream),
    recorded.agent,
  );
  const replayedBalance = balanceFields(replayed.ledger, recorded.agent);
  const balances: BalanceDifference[] = Object.keys({ ...recordedBalance, ...replayedBalance }).flatMap((field) =>
    recordedBalance[field] === replayedBalance[field]
      ? []
      : [
          {
            agent: recorded.agent,
            field,
            recorded: recordedBalance[field] ?? '',
            replayed: replayedBalance[field] ?? '',
          },
        ],
  );
  const same = differences.length === 0 && balances.length === 0;

  if (options.format === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        {
          session: sessionId,
          agent: recorded.agent,
          requests: recorded.requests.length,
          recordedEvents: recorded.events.length,
          replayedEvents: replayed.events.length,
          same,
          notes,
          differences,
          balances,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(
      renderText(recorded, replayed.events.length, notes, differences, balances, recordedBalance, options.config),
    );
  }
  return same ? 0 : 1;
};

const renderText = (
  recorded: RecordedSession,
  replayedEvents: number,
  notes: readonly string[],
  differences: readonly EventDifference[],
  balances: readonly BalanceDifference[],
  recordedBalance: Record<string, string>,
  configPath: string,
): string => {
  const labels = new Map(
    recorded.requests.map((request) => {
      const tool =
        request.method === 'tools/call' ? (request.params as { name?: unknown } | undefined)?.name : undefined;
      return [
        requestKeyOf(request.requestId),
        `request ${requestKeyOf(request.requestId)} ${request.method}${typeof tool === 'string' ? ` ${tool}` : ''}`,
      ];
    }),
  );
  const lines = [
    `replayed session ${recorded.sessionId} (agent ${recorded.agent}, ${recorded.requests.length} requests) with ${configPath}: ` +
      `${recorded.events.length} events recorded, ${replayedEvents} replayed`,
    ...notes.map((note) => `note: ${note}`),
  ];
  let group: string | undefined;
  for (const difference of differences) {
    if (difference.group !== group) {
      group = difference.group;
      lines.push(group === 'session' ? 'session' : (labels.get(group) ?? `request ${group}`));
    }
    if (difference.kind === 'changed') {
      const fields = difference.fields.map(
        (field) => `${field.path}: recorded ${showJson(field.recorded)}, replayed ${showJson(field.replayed)}`,
      );
      lines.push(`  ~ ${difference.stream} ${difference.type}  ${fields.join('; ')}`);
    } else {
      const sign = difference.kind === 'recorded_only' ? '- only recorded:' : '+ only replayed:';
      lines.push(`  ${sign} ${difference.stream} ${difference.type} ${showJson(difference.body)}`);
    }
  }
  if (balances.length > 0) {
    lines.push(`account of ${recorded.agent} after the session`);
    for (const balance of balances)
      lines.push(`  ~ ${balance.field}: recorded ${balance.recorded}, replayed ${balance.replayed}`);
  }
  lines.push(
    differences.length === 0 && balances.length === 0
      ? `no difference: every event and the balance (${recordedBalance.balance ?? 'none'}) replayed identically`
      : `DIFFERENT: ${differences.length} event(s) and ${balances.length} account field(s) differ`,
  );
  return `${lines.join('\n')}\n`;
};
