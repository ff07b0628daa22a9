import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, REPO_ROOT, writeConfig } from '../support/apex-process.js';
import { type Cut, exactQuantile, recompute } from '../support/raw-recomputation.js';
import {
  type AgentRunResult,
  type AgentScript,
  runScriptedAgents,
  type ScriptedRequest,
} from '../support/scripted-run.js';
import { useTempDir } from '../support/sqlite-temp.js';

/**
 * The "done when": a store made by a scripted run of at least 100,000 requests through the
 * real server (several agents, charges, a timeout, a PIP, a suspension), and every report checked,
 * at three moments, against a recomputation from the raw rows that shares no code with APEX.
 */

const execFileAsync = promisify(execFile);
const temp = useTempDir('audit-scale');

/** tools/call requests per bulk agent; with the other agents' the run sends a little over 100,000. */
const BULK_AGENTS = ['bulk-1', 'bulk-2', 'bulk-3', 'bulk-4'];
const BULK_REQUESTS = Number(process.env.APEX_SCALE_BULK_REQUESTS ?? 25_000);
const PIP_REQUESTS = 3_000;
const TIMEOUT_AGENT_ECHOES = 200;
const TIMEOUT_AGENT_REFUSED = 300;

const AGENTS = {
  ...Object.fromEntries(
    BULK_AGENTS.map((agent, index) => [
      agent,
      { name: agent, balance: '1000000', permissions: index === 0 ? ['demo', 'ops'] : ['demo'] },
    ]),
  ),
  // 10 APX and a 1,000 APX debt limit: after 1,000 echoes it is below zero (a PIP), never past the limit.
  pip: { name: 'In debt', balance: '10', debtLimit: '1000', permissions: ['demo'] },
  // 2 APX and a 1 APX debt limit: a timeout's 5 APX penalty takes it past the limit (suspended).
  slow: { name: 'Too slow', balance: '2', debtLimit: '1', permissions: ['demo'] },
};
const TOOLS = {
  echo: { price: { perCall: '0.01', perSecond: '0' }, permissions: ['demo'] },
  fail: { price: { perCall: '0.002', perSecond: '0' }, permissions: ['demo'] },
  sleep: { price: { perCall: '0.01', perSecond: '0.1' }, permissions: ['demo'] },
  // Only bulk-1 holds 'ops': the others' calls are denied (PERMISSION_DENIED).
  ledger_balance: { price: { perCall: '0.005', perSecond: '0' }, permissions: ['ops'] },
};

const echo = (index: number): ScriptedRequest => ({
  method: 'tools/call',
  params: { name: 'echo', arguments: { message: `m${index}` } },
});

/** Mostly echo; a failing tool, a denied tool, pings and tools/list mixed in. */
const bulkRequest = (index: number): ScriptedRequest => {
  if (index % 500 === 499) return { method: 'ping' };
  if (index % 1000 === 999) return { method: 'tools/list' };
  if (index % 50 === 49) return { method: 'tools/call', params: { name: 'fail', arguments: { reason: 'scripted' } } };
  if (index % 40 === 39) return { method: 'tools/call', params: { name: 'ledger_balance', arguments: {} } };
  return echo(index);
};

interface ScriptedRun {
  readonly store: string;
  readonly results: readonly AgentRunResult[];
  readonly seconds: number;
}

const scriptedRun = async (): Promise<ScriptedRun> => {
  const store = temp.file('scale');
  const config = writeConfig(temp.dir, { agents: AGENTS, tools: TOOLS, toolsets: ['demo'] }, 'scale.json');
  const shortTtl = writeConfig(
    temp.dir,
    { agents: AGENTS, tools: TOOLS, toolsets: ['demo'], limits: { requestTtlMs: 1500, gcIntervalMs: 100 } },
    'scale-short-ttl.json',
  );
  const bulk = (agent: string): AgentScript => ({
    agent,
    config,
    steps: [{ count: BULK_REQUESTS, request: bulkRequest }],
  });
  const pip: AgentScript = { agent: 'pip', config, steps: [{ count: PIP_REQUESTS, request: echo }] };
  const slow: AgentScript = {
    agent: 'slow',
    config: shortTtl,
    steps: [
      { count: TIMEOUT_AGENT_ECHOES, request: echo },
      // Outlives the 1.5 s TTL: charged for its time, penalised 5 APX, suspended.
      {
        count: 1,
        inflight: 1,
        request: () => ({ method: 'tools/call', params: { name: 'sleep', arguments: { ms: 5000 } } }),
      },
      { count: TIMEOUT_AGENT_REFUSED, request: echo },
    ],
  };
  // Two processes at a time share the store: their events interleave, yet they do not spend the
  // run waiting on each other's write lock, which more processes on 2 cores mostly do.
  const waves: AgentScript[][] = [
    [bulk('bulk-1'), pip],
    [bulk('bulk-2'), slow],
    [bulk('bulk-3'), bulk('bulk-4')],
  ];
  const started = performance.now();
  const results: AgentRunResult[] = [];
  for (const wave of waves) results.push(...(await runScriptedAgents(store, wave)));
  return { store, results, seconds: (performance.now() - started) / 1000 };
};

const apex = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, cliArgs(...args), {
      cwd: REPO_ROOT,
      maxBuffer: 512 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};

/** Runs the tasks two at a time (one per core), results in the tasks' order. */
const twoAtATime = async <T>(tasks: readonly (() => Promise<T>)[]): Promise<T[]> => {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
};

/** The report gives its bucket's upper bound: never below the true value, at most one bucket (2^(1/8)) above. */
const expectBucketOf = (reported: number | null, exact: number) => {
  expect(reported).not.toBeNull();
  expect(reported!).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
  expect(reported!).toBeLessThanOrEqual(Math.max(exact, 0.01) * 2 ** (1 / 8) * (1 + 1e-9));
};

// ---------------------------------------------------------------------------------------------

let run: ScriptedRun;
/** The last position, the latest timestamp (several writers' clocks interleave), and the number of events. */
let head: { position: bigint; latestTimestamp: string; events: number };

beforeAll(async () => {
  run = await scriptedRun();
  const db = new Database(run.store, { readonly: true });
  db.defaultSafeIntegers(true);
  const summary = db
    .prepare(
      "SELECT MAX(position) AS position, MAX(json_extract(metadata, '$.timestamp')) AS latest, COUNT(*) AS n FROM events",
    )
    .get() as { position: bigint; latest: string; n: bigint };
  db.close();
  head = { position: summary.position, latestTimestamp: summary.latest, events: Number(summary.n) };
  const requests = run.results.reduce((sum, result) => sum + result.requests, 0);
  console.log(
    `scripted run: ${requests} requests by ${run.results.length} agents in ${run.seconds.toFixed(1)} s ` +
      `(${Math.round(requests / run.seconds)} req/s), ${head.events} events`,
  );
}, 900_000);

describe('a scripted run of 100,000 requests through the real server', () => {
  it('answered every request, the agents exited cleanly, and the log verifies', { timeout: 300_000 }, async () => {
    const requests = run.results.reduce((sum, result) => sum + result.requests, 0);
    expect(requests).toBeGreaterThanOrEqual(BULK_REQUESTS >= 25_000 ? 100_000 : 0);
    for (const result of run.results) expect(result.exitCode, `${result.agent}: ${result.stderr}`).toBe(0);
    const slow = run.results.find((result) => result.agent === 'slow')!;
    // The sleep timed out (REQUEST_TIMED_OUT), and the suspended agent's later calls were refused.
    expect([...slow.errors.values()].reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(
      1 + TIMEOUT_AGENT_REFUSED,
    );
    const started = performance.now();
    const verified = await apex('verify', '--store', `sqlite:${run.store}`);
    console.log(`apex verify: ${((performance.now() - started) / 1000).toFixed(1)} s for ${head.events} events`);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`ok: ${head.events} events`);
  });

  it('every report agrees with the raw rows at three moments', { timeout: 900_000 }, async () => {
    const timeCut = (() => {
      const db = new Database(run.store, { readonly: true });
      const row = db
        .prepare('SELECT metadata FROM events WHERE position = (SELECT MAX(position) / 3 FROM events)')
        .get() as { metadata: string } | undefined;
      db.close();
      return (JSON.parse(row!.metadata) as { timestamp: string }).timestamp;
    })();
    const positionCut = (head.position * 2n) / 3n;
    const moments: { at: string; cut: Cut }[] = [
      { at: timeCut, cut: { timeMs: Date.parse(timeCut) } },
      { at: positionCut.toString(), cut: { position: positionCut } },
      // The latest timestamp: the whole log, seen as of a time.
      { at: head.latestTimestamp, cut: { timeMs: Date.parse(head.latestTimestamp) } },
    ];
    const started = performance.now();
    const expected = recompute(
      run.store,
      moments.map((moment) => moment.cut),
    );
    console.log(`independent recomputation (3 moments): ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const reportStarted = performance.now();
    let reports = 0;
    const report = async (...args: string[]) => {
      const result = await apex('report', ...args, '--store', `sqlite:${run.store}`, '--format', 'json');
      expect(result.code, result.stderr).toBe(0);
      reports += 1;
      return JSON.parse(result.stdout);
    };

    for (const [index, moment] of moments.entries()) {
      const want = expected[index]!;
      const [balances, requests, health, tools, incidents, ...agents] = await twoAtATime([
        () => report('balances', '--at', moment.at),
        () => report('requests', '--at', moment.at),
        () => report('health', '--at', moment.at),
        () => report('tools', '--at', moment.at),
        () => report('incidents', '--at', moment.at),
        ...['pip', 'slow', 'bulk-1'].map((agent) => () => report('agent', agent, '--at', moment.at)),
      ]);
      const asOf = { position: want.position, time: 'timeMs' in moment.cut ? moment.at : want.lastTime };

      expect(balances).toEqual(want.balances);

      expect(requests.asOf).toEqual(asOf);
      expect(requests.active).toEqual(want.requests.active);
      expect(requests.timedOut).toEqual(want.requests.timedOut);

      expect(health.asOf).toEqual(asOf);
      const { durations, meanResponseMs, ...totals } = want.health;
      expect(health).toMatchObject(totals);
      expect(health.meanResponseMs).toBeCloseTo(meanResponseMs!, 9);
      expectBucketOf(health.p50ResponseMs, exactQuantile(durations, 0.5));
      expectBucketOf(health.p99ResponseMs, exactQuantile(durations, 0.99));

      expect(tools.asOf).toEqual(asOf);
      for (const [reported, wanted] of [
        [tools.byTool, want.tools.byTool],
        [tools.byAgent, want.tools.byAgent],
      ] as const) {
        expect(reported.map(({ totalDurationMs: _, ...row }: { totalDurationMs: number }) => row)).toEqual(
          wanted.map(({ totalDurationMs: _, ...row }) => row),
        );
        for (const [rowIndex, row] of (reported as { totalDurationMs: number }[]).entries()) {
          expect(row.totalDurationMs).toBeCloseTo(wanted[rowIndex]!.totalDurationMs, 6);
        }
      }

      expect(incidents.asOf).toEqual(asOf);
      expect(
        incidents.incidents.map(
          ({ position, kind, agent, amount, balance, correlationId }: Record<string, unknown>) => ({
            position,
            kind,
            agent,
            amount,
            balance,
            correlationId,
          }),
        ),
      ).toEqual(want.incidents);

      for (const [agentIndex, agent] of ['pip', 'slow', 'bulk-1'].entries()) {
        const account = want.accounts.get(agent)!;
        const statement = agents[agentIndex];
        expect(statement.asOf).toEqual(asOf);
        expect(statement.account).toMatchObject({
          agent,
          balance: account.balance,
          status: account.status,
          pip: account.pip,
          suspension:
            account.suspension === null ? null : { reason: account.suspension.reason, since: account.suspension.at },
        });
        expect(statement.movements).toEqual(account.lines);
      }
    }
    console.log(`${reports} reports through the CLI: ${((performance.now() - reportStarted) / 1000).toFixed(1)} s`);

    // The run did what it was scripted to: by the end, a PIP, a suspension, a timeout and its penalty.
    const last = expected[2]!;
    expect(last.accounts.get('pip')!.status).toBe('pip');
    expect(last.accounts.get('slow')!.status).toBe('suspended');
    expect(last.incidents.filter((incident) => incident.kind === 'request_timed_out').length).toBeGreaterThanOrEqual(1);
    expect(last.incidents.filter((incident) => incident.kind === 'penalty_applied').length).toBeGreaterThanOrEqual(1);
    expect(last.tools.byTool.find((row) => row.tool === 'ledger_balance')!.denials).toBeGreaterThan(0);
  });
});
