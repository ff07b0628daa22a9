import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import {
  cliArgs,
  closeAndWaitForExit,
  connectSdkClient,
  REPO_ROOT,
  readAllEvents,
  runApex,
  writeConfig,
} from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('audit-cli');

const apex = runApex;

const AGENTS = {
  alice: { name: 'Alice', balance: '20', permissions: ['demo'] },
  bob: { name: 'Bob', balance: '1', debtLimit: '2', permissions: ['demo'] },
};
const TOOLS = {
  echo: { price: { perCall: '1.5', perSecond: '0' }, permissions: ['demo'] },
  fail: { price: { perCall: '0.25', perSecond: '0' }, permissions: ['demo'] },
  sleep: { price: { perCall: '0.5', perSecond: '1' }, permissions: ['demo'] },
};

/**
 * A store recorded by two real `apex serve` sessions driven by the official SDK client:
 * alice calls echo twice and fail once; bob (balance 1, debt limit 2) goes below zero with one
 * echo (a PIP), then a sleep outlives bob's 1 s TTL: charged for its time, penalised, suspended;
 * his next echo is denied.
 */
const recordStore = async (): Promise<string> => {
  const store = temp.file('recorded');
  const alice = await connectSdkClient({
    config: writeConfig(temp.dir, { agents: AGENTS, tools: TOOLS, toolsets: ['demo'] }, 'alice.json'),
    store,
    agent: 'alice',
  });
  await alice.client.callTool({ name: 'echo', arguments: { message: 'one' } });
  await alice.client.callTool({ name: 'echo', arguments: { message: 'two' } });
  await alice.client.callTool({ name: 'fail', arguments: { reason: 'on purpose' } });
  await closeAndWaitForExit(alice.client, alice.transport);

  const bob = await connectSdkClient({
    config: writeConfig(
      temp.dir,
      { agents: AGENTS, tools: TOOLS, toolsets: ['demo'], limits: { requestTtlMs: 1000, gcIntervalMs: 50 } },
      'bob.json',
    ),
    store,
    agent: 'bob',
  });
  await bob.client.callTool({ name: 'echo', arguments: { message: 'into debt' } });
  await bob.client.callTool({ name: 'sleep', arguments: { ms: 120_000 } }, undefined, { timeout: 600_000 }).then(
    () => undefined,
    () => undefined,
  );
  await bob.client.callTool({ name: 'echo', arguments: { message: 'refused' } }).then(
    () => undefined,
    () => undefined,
  );
  await closeAndWaitForExit(bob.client, bob.transport);
  return store;
};

/** A private copy of the recorded store, for tests that damage it. */
const copyOf = (store: string): string => {
  const copy = temp.file('copy');
  copyFileSync(store, copy);
  for (const suffix of ['-wal', '-shm']) if (existsSync(store + suffix)) copyFileSync(store + suffix, copy + suffix);
  return copy;
};

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

let store: string;
let events: RecordedEvent[];
let storeUrl: string;

const dataOf = (event: RecordedEvent) => event.data as Record<string, unknown>;
const only = <T>(items: readonly T[]): T => {
  expect(items).toHaveLength(1);
  return items[0]!;
};

beforeAll(async () => {
  store = await recordStore();
  storeUrl = `sqlite:${store}`;
  events = await readAllEvents(store);
}, 120_000);

describe('apex report', () => {
  it('agent ID: the account, and every movement with a running balance that adds up to it', async () => {
    const result = await apex('report', 'agent', 'bob', '--store', storeUrl, '--format', 'json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      asOf: { position: string };
      account: Record<string, unknown> & { balance: string; pip: unknown; suspension: { reason: string } | null };
      movements: { position: string; event: string; amount: string; balance: string; tool: string | null }[];
    };
    expect(report.asOf.position).toBe(events.at(-1)!.position.toString());
    expect(report.account).toMatchObject({ agent: 'bob', status: 'suspended', debtLimit: '2.000000' });
    expect(report.account.pip).not.toBeNull();
    expect(report.account.suspension?.reason).toBe('bankrupt');

    const movementEvents = events.filter(
      (event) =>
        ['FundsCredited', 'ToolCallCharged', 'PenaltyApplied'].includes(event.type) &&
        (dataOf(event).from === 'agent-bob' || dataOf(event).to === 'agent-bob'),
    );
    expect(report.movements.map((line) => [line.position, line.event])).toEqual(
      movementEvents.map((event) => [event.position.toString(), event.type]),
    );
    expect(report.movements.map((line) => line.tool)).toEqual([null, 'echo', 'sleep', null]);
    let running = 0;
    for (const line of report.movements) {
      running += Math.round(Number(line.amount) * 1e6);
      expect(Math.round(Number(line.balance) * 1e6)).toBe(running);
    }
    expect(Math.round(Number(report.account.balance) * 1e6)).toBe(running);
    const balances = JSON.parse((await apex('report', 'balances', '--store', storeUrl, '--format', 'json')).stdout) as {
      agent: string;
      balance: string;
    }[];
    expect(balances.find((row) => row.agent === 'bob')?.balance).toBe(report.account.balance);
  });

  it('agent ID --at a position: only what had happened by then; an unknown agent is a usage error', async () => {
    const aliceCredit = only(
      events.filter((event) => event.type === 'FundsCredited' && event.stream === 'agent-alice'),
    );
    const [early, table, unknown] = await Promise.all([
      apex(
        'report',
        'agent',
        'alice',
        '--store',
        storeUrl,
        '--format',
        'json',
        '--at',
        aliceCredit.position.toString(),
      ),
      apex('report', 'agent', 'alice', '--store', storeUrl),
      apex('report', 'agent', 'mallory', '--store', storeUrl),
    ]);
    const report = JSON.parse(early.stdout) as { account: { balance: string }; movements: unknown[] };
    expect(report.account.balance).toBe('20.000000');
    expect(report.movements).toHaveLength(1);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Movements (4;');
    expect(table.stdout).toContain('16.750000');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no agent "mallory"');
  });

  it('requests: a request in flight with its age at the --at moment, and the timed-out one afterwards', async () => {
    const timedOut = only(events.filter((event) => event.type === 'RequestTimedOut'));
    const correlationId = timedOut.metadata.correlationId!;
    const received = only(
      events.filter((event) => event.type === 'RequestReceived' && event.metadata.correlationId === correlationId),
    );
    const halfASecondLater = new Date(Date.parse(received.metadata.timestamp) + 500).toISOString();
    const [atPosition, atTime, now] = await Promise.all([
      apex('report', 'requests', '--store', storeUrl, '--format', 'json', '--at', received.position.toString()),
      apex('report', 'requests', '--store', storeUrl, '--format', 'json', '--at', halfASecondLater),
      apex('report', 'requests', '--store', storeUrl, '--format', 'json'),
    ]);
    type Requests = {
      asOf: { position: string; time: string };
      active: { requestId: unknown; position: string; ageMs: number; agent: string; method: string }[];
      timedOut: { position: string; ttlMs: number; agent: string }[];
    };
    const first = JSON.parse(atPosition.stdout) as Requests;
    expect(first.asOf).toEqual({ position: received.position.toString(), time: received.metadata.timestamp });
    expect(only(first.active)).toMatchObject({ position: received.position.toString(), ageMs: 0, agent: 'bob' });
    expect(first.timedOut).toEqual([]);
    const second = JSON.parse(atTime.stdout) as Requests;
    expect(second.asOf.time).toBe(halfASecondLater);
    expect(only(second.active)).toMatchObject({ position: received.position.toString(), ageMs: 500 });
    const last = JSON.parse(now.stdout) as Requests;
    expect(last.active).toEqual([]);
    expect(only(last.timedOut)).toMatchObject({ position: received.position.toString(), ttlMs: 1000, agent: 'bob' });
  });

  it('health: totals, error rate and per-method counts agree with the recorded outcomes', async () => {
    const result = await apex('report', 'health', '--store', storeUrl, '--format', 'json');
    const health = JSON.parse(result.stdout) as {
      requestsTotal: number;
      requestsSuccess: number;
      requestsError: number;
      errorRate: number;
      meanResponseMs: number;
      p99ResponseMs: number;
      status: string;
      methods: Record<string, { total: number; errors: number }>;
    };
    const count = (type: string) => events.filter((event) => event.type === type).length;
    expect(health.requestsSuccess).toBe(count('RequestCompleted'));
    expect(health.requestsError).toBe(count('RequestFailed') + count('RequestTimedOut'));
    expect(health.requestsTotal).toBe(health.requestsSuccess + health.requestsError);
    expect(health.errorRate).toBeCloseTo(health.requestsError / health.requestsTotal, 12);
    expect(health.meanResponseMs).toBeGreaterThan(0);
    expect(health.p99ResponseMs).toBeGreaterThanOrEqual(1000);
    expect(health.status).toBe('unhealthy');
    const toolCalls = new Set(
      events
        .filter((event) => event.type === 'RequestReceived' && dataOf(event).method === 'tools/call')
        .map((event) => event.metadata.correlationId),
    );
    const toolCallErrors = events.filter(
      (event) =>
        (event.type === 'RequestFailed' || event.type === 'RequestTimedOut') &&
        toolCalls.has(event.metadata.correlationId),
    ).length;
    expect(toolCallErrors).toBe(2);
    expect(health.methods['tools/call']).toEqual({
      total: toolCalls.size,
      errors: toolCallErrors,
      errorRate: toolCallErrors / toolCalls.size,
    });
  });

  it('tools: calls, outcomes, denials and spend per tool and per agent', async () => {
    const result = await apex('report', 'tools', '--store', storeUrl, '--format', 'json');
    const tools = JSON.parse(result.stdout) as {
      byTool: { tool: string; calls: number; successes: number; failures: number; denials: number; spend: string }[];
      byAgent: { agent: string; tool: string; calls: number; denials: number; spend: string }[];
    };
    const sleepCharge = only(
      events.filter((event) => event.type === 'ToolCallCharged' && dataOf(event).tool === 'sleep'),
    );
    expect(tools.byTool).toEqual([
      {
        tool: 'echo',
        calls: 4,
        successes: 3,
        failures: 0,
        denials: 1,
        spend: '4.500000',
        totalDurationMs: expect.any(Number),
      },
      {
        tool: 'fail',
        calls: 1,
        successes: 0,
        failures: 1,
        denials: 0,
        spend: '0.250000',
        totalDurationMs: expect.any(Number),
      },
      {
        tool: 'sleep',
        calls: 1,
        successes: 0,
        failures: 1,
        denials: 0,
        spend: dataOf(sleepCharge).amount,
        totalDurationMs: expect.any(Number),
      },
    ]);
    expect(tools.byAgent.map(({ agent, tool, calls, denials, spend }) => [agent, tool, calls, denials, spend])).toEqual(
      [
        ['alice', 'echo', 2, 0, '3.000000'],
        ['alice', 'fail', 1, 0, '0.250000'],
        ['bob', 'echo', 2, 1, '1.500000'],
        ['bob', 'sleep', 1, 0, dataOf(sleepCharge).amount],
      ],
    );
  });

  it('incidents: the PIP, the suspension, the penalty and the timeout, in log order', async () => {
    const result = await apex('report', 'incidents', '--store', storeUrl, '--format', 'json');
    const report = JSON.parse(result.stdout) as {
      counts: Record<string, number>;
      incidents: { position: string; kind: string; agent: string; amount: string | null }[];
    };
    const kindOf: Record<string, string> = {
      PipInitiated: 'pip_initiated',
      AgentSuspended: 'agent_suspended',
      PenaltyApplied: 'penalty_applied',
      RequestTimedOut: 'request_timed_out',
    };
    const expected = events
      .filter((event) => kindOf[event.type] !== undefined)
      .map((event) => [event.position.toString(), kindOf[event.type], 'bob']);
    expect(report.incidents.map((incident) => [incident.position, incident.kind, incident.agent])).toEqual(expected);
    expect(expected.map(([, kind]) => kind).sort()).toEqual(
      ['agent_suspended', 'penalty_applied', 'pip_initiated', 'request_timed_out'].sort(),
    );
    expect(report.incidents.find((incident) => incident.kind === 'penalty_applied')?.amount).toBe('5.000000');
    expect(report.counts).toMatchObject({ pip_initiated: 1, agent_suspended: 1, request_timed_out: 1 });
  });

  it('every report also renders as a table and as CSV, and balances keeps its contract', async () => {
    const kinds = [['balances'], ['agent', 'bob'], ['requests'], ['health'], ['tools'], ['incidents']];
    const runs = await Promise.all(
      kinds.flatMap((kind) => [
        apex('report', ...kind, '--store', storeUrl, '--format', 'csv'),
        apex('report', ...kind, '--store', storeUrl),
      ]),
    );
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout.length).toBeGreaterThan(0);
    }
    expect(runs[0]!.stdout.split('\n')[0]).toBe(
      'agent,balance,reserved,debtLimit,status,credited,charged,penalties,lastMovementPosition',
    );
    expect(runs[2]!.stdout.split('\n')[0]).toBe('position,time,event,amount,balance,tool,correlationId,reason');
    const bad = await Promise.all([
      apex('report', 'balances', '--store', storeUrl, '--format', 'xml'),
      apex('report', 'nonsense', '--store', storeUrl),
      apex('report', 'health', '--store', storeUrl, '--at', 'yesterday'),
    ]);
    expect(bad.map((run) => run.code)).toEqual([2, 2, 2]);
  });
});

describe('apex events', () => {
  const listed = async (...args: string[]) => {
    const result = await apex('events', '--store', storeUrl, '--format', 'json', ...args);
    expect(result.code, result.stderr).toBe(0);
    return jsonLines(result.stdout);
  };
  const positionsOf = (items: readonly { readonly position?: unknown }[]) => items.map((item) => String(item.position));

  it('prints the full envelope as NDJSON, bigints as strings, in log order', async () => {
    const lines = await listed();
    expect(positionsOf(lines)).toEqual(positionsOf(events));
    const last = events.at(-1)!;
    expect(lines.at(-1)).toEqual({
      position: last.position.toString(),
      stream: last.stream,
      revision: last.revision.toString(),
      id: last.id,
      type: last.type,
      schemaVersion: last.schemaVersion,
      data: last.data,
      metadata: last.metadata,
      prevHash: last.prevHash,
      hash: last.hash,
    });
  });

  it('filters by type (repeatable or comma list), stream (or prefix), agent and correlation id', async () => {
    const timedOut = only(events.filter((event) => event.type === 'RequestTimedOut'));
    const correlationId = timedOut.metadata.correlationId!;
    const [byTypes, byRepeatedType, byStream, byPrefix, byAgent, byCorrelation] = await Promise.all([
      listed('--type', 'ToolCallCharged,PenaltyApplied'),
      listed('--type', 'ToolCallCharged', '--type', 'PenaltyApplied'),
      listed('--stream', 'agent-bob'),
      listed('--stream', 'session-*'),
      listed('--agent', 'bob'),
      listed('--correlation', correlationId),
    ]);
    const expected = (keep: (event: RecordedEvent) => boolean) => positionsOf(events.filter(keep));
    expect(positionsOf(byTypes)).toEqual(expected((e) => e.type === 'ToolCallCharged' || e.type === 'PenaltyApplied'));
    expect(positionsOf(byRepeatedType)).toEqual(positionsOf(byTypes));
    expect(byTypes.length).toBe(6);
    expect(positionsOf(byStream)).toEqual(expected((e) => e.stream === 'agent-bob'));
    expect(positionsOf(byPrefix)).toEqual(expected((e) => e.stream.startsWith('session-')));
    expect(positionsOf(byAgent)).toEqual(expected((e) => e.metadata.agent === 'bob' || e.stream === 'agent-bob'));
    expect(positionsOf(byCorrelation)).toEqual(
      expected((e) => e.metadata.correlationId === correlationId || dataOf(e).correlationId === correlationId),
    );
    expect(byCorrelation.map((line) => line.type)).toEqual(
      expect.arrayContaining([
        'RequestReceived',
        'ToolCallRequested',
        'FundsReserved',
        'ToolCallCharged',
        'AgentSuspended',
        'ToolCallFailed',
        'PenaltyApplied',
        'RequestTimedOut',
      ]),
    );
  });

  it('filters by time and position, and stops at --limit', async () => {
    const middle = events[Math.floor(events.length / 2)]!;
    const since = events.find((event) => event.metadata.timestamp > events[0]!.metadata.timestamp)!;
    const [after, sinceUntil] = await Promise.all([
      listed('--after', middle.position.toString(), '--limit', '3'),
      listed('--since', since.metadata.timestamp, '--until', middle.metadata.timestamp),
    ]);
    expect(positionsOf(after)).toEqual(positionsOf(events.filter((e) => e.position > middle.position).slice(0, 3)));
    const inWindow = (event: RecordedEvent) =>
      Date.parse(event.metadata.timestamp) >= Date.parse(since.metadata.timestamp) &&
      Date.parse(event.metadata.timestamp) <= Date.parse(middle.metadata.timestamp);
    expect(positionsOf(sinceUntil)).toEqual(positionsOf(events.filter(inWindow)));
  });

  it('prints a table whose cells are never cut when piped, and refuses bad flags with exit code 2', async () => {
    const [table, badTime, badLimit, badFormat, unknownFlag] = await Promise.all([
      apex('events', '--store', storeUrl, '--type', 'AgentRegistered'),
      apex('events', '--store', storeUrl, '--since', 'last tuesday'),
      apex('events', '--store', storeUrl, '--limit', '0'),
      apex('events', '--store', storeUrl, '--format', 'csv'),
      apex('events', '--store', storeUrl, '--bogus'),
    ]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s*POSITION\s+TIME\s+TYPE\s+STREAM\s+AGENT\s+DATA$/);
    expect(lines).toHaveLength(3);
    const registered = events.find((event) => event.type === 'AgentRegistered')!;
    expect(lines[1]).toContain(JSON.stringify(registered.data));
    expect(table.stdout).not.toContain('…');
    expect([badTime.code, badLimit.code, badFormat.code, unknownFlag.code]).toEqual([2, 2, 2, 2]);
    expect(badTime.stderr).toContain('--since');
  });

  it('--follow sees an append made by another process after it started, and exits 0 on SIGTERM', async () => {
    const followed = temp.file('follow');
    const config = writeConfig(temp.dir, { agents: AGENTS, tools: TOOLS, toolsets: ['demo'] }, 'follow.json');
    const first = await connectSdkClient({ config, store: followed, agent: 'alice' });
    await closeAndWaitForExit(first.client, first.transport);
    const head = (await readAllEvents(followed)).at(-1)!.position;

    const follower = spawn(
      process.execPath,
      cliArgs('events', '--follow', '--format', 'json', '--store', `sqlite:${followed}`),
      {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => follower.once('exit', (code) => resolve(code)));
    const output = ndjsonLines(follower);
    try {
      await output.waitFor((line) => line.position === head.toString());
      const second = await connectSdkClient({ config, store: followed, agent: 'alice' });
      await second.client.callTool({ name: 'echo', arguments: { message: 'seen live' } });
      const charged = await output.waitFor(
        (line) => line.type === 'ToolCallSucceeded' && BigInt(String(line.position)) > head,
      );
      expect(charged.metadata).toMatchObject({ agent: 'alice' });
      await closeAndWaitForExit(second.client, second.transport);
      follower.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (follower.exitCode === null) follower.kill('SIGKILL');
    }
  });
});

/** Collects a child's NDJSON stdout; `waitFor` resolves with the first line (printed or to come) that matches. */
const ndjsonLines = (child: ChildProcessWithoutNullStreams) => {
  const lines: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let tail = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (tail + chunk).split('\n');
    tail = parts.pop()!;
    for (const part of parts) if (part !== '') lines.push(JSON.parse(part) as Record<string, unknown>);
    for (const listener of listeners) listener();
  });
  return {
    waitFor: (matches: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null) => {
          listeners.delete(check);
          reject(new Error(`apex events exited (${code}) before the line came`));
        };
        const check = () => {
          const found = lines.find(matches);
          if (found === undefined) return;
          listeners.delete(check);
          child.off('exit', onExit);
          resolve(found);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
  };
};

describe('apex verify', () => {
  const checkpointOf = async (url: string): Promise<string> => {
    const result = await apex('verify', '--digest', '--store', url);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+:[0-9a-f]{64}\n$/);
    return result.stdout.trim();
  };

  it('takes a checkpoint, verifies against it and from a position; usage errors exit 2', async () => {
    const checkpoint = await checkpointOf(storeUrl);
    expect(checkpoint.split(':')[0]).toBe(events.at(-1)!.position.toString());
    const middle = events[Math.floor(events.length / 2)]!.position.toString();
    const [against, full, from, badFrom, both, badDigest] = await Promise.all([
      apex('verify', '--store', storeUrl, '--against', checkpoint),
      apex('verify', '--store', storeUrl),
      apex('verify', '--store', storeUrl, '--from', middle),
      apex('verify', '--store', storeUrl, '--from', 'middle'),
      apex('verify', '--store', storeUrl, '--from', middle, '--digest'),
      apex('verify', '--store', storeUrl, '--against', 'not-a-digest'),
    ]);
    expect(against.code).toBe(0);
    expect(against.stdout).toContain('matches the checkpoint');
    expect(full.code).toBe(0);
    expect(full.stdout).toContain(`checkpoint: ${checkpoint}`);
    expect(from.code).toBe(0);
    expect(from.stdout).toContain(
      `${events.filter((e) => e.position > BigInt(middle)).length} events after position ${middle}`,
    );
    expect([badFrom.code, both.code, badDigest.code]).toEqual([2, 2, 2]);
    // Nothing but the checkpoint on stdout, and no progress bar when stderr is piped.
    expect(full.stderr).toBe('');
  });

  it('a deleted last event of one stream leaves every chain intact, but not the checkpoint', async () => {
    const damaged = copyOf(store);
    const url = `sqlite:${damaged}`;
    const checkpoint = await checkpointOf(url);
    const db = new Database(damaged);
    const removed = db
      .prepare(
        "DELETE FROM events WHERE stream = 'agent-alice' AND revision = (SELECT MAX(revision) FROM events WHERE stream = 'agent-alice')",
      )
      .run();
    db.close();
    expect(removed.changes).toBe(1);
    const [plain, against] = await Promise.all([
      apex('verify', '--store', url),
      apex('verify', '--store', url, '--against', checkpoint),
    ]);
    expect(plain.code).toBe(0);
    expect(against.code).toBe(1);
    expect(against.stdout).toContain('MISMATCH');
  });

  it('a truncated log (its last rows deleted) is caught the same way', async () => {
    const damaged = copyOf(store);
    const url = `sqlite:${damaged}`;
    const checkpoint = await checkpointOf(url);
    const db = new Database(damaged);
    const removed = db.prepare('DELETE FROM events WHERE position > (SELECT MAX(position) - 5 FROM events)').run();
    db.close();
    expect(removed.changes).toBe(5);
    const [plain, against] = await Promise.all([
      apex('verify', '--store', url),
      apex('verify', '--store', url, '--against', checkpoint),
    ]);
    expect(plain.code).toBe(0);
    expect(against.code).toBe(1);
    expect(against.stdout).toContain('truncated tail or a deleted stream');
  });
});

describe('help', () => {
  it('has an example for every audit command', async () => {
    const commands = [
      ['events'],
      ['verify'],
      ['report', 'balances'],
      ['report', 'agent'],
      ['report', 'requests'],
      ['report', 'health'],
      ['report', 'tools'],
      ['report', 'incidents'],
    ];
    const helps = await Promise.all(commands.map((command) => apex(...command, '--help')));
    for (const help of helps) {
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Examples?:/);
    }
  });
});
