import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { openSqliteCheckpointStore } from '../../src/store/sqlite/index.js';
import { closeAndWaitForExit, connectSdkClient, readAllEvents, runApex, writeConfig } from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('replay');

const apex = runApex;

const configWith = (echoPrice: string, recording: 'full' | 'names-only' = 'full') => ({
  agents: {
    alice: { name: 'Alice', balance: '20', permissions: ['demo'] },
    bob: { name: 'Bob', balance: '5', permissions: ['demo'] },
  },
  tools: {
    echo: { price: { perCall: echoPrice, perSecond: '0' }, permissions: ['demo'] },
    sleep: { price: { perCall: '1', perSecond: '0' }, permissions: ['demo'] },
  },
  toolsets: ['demo'],
  // A short TTL, so the recorded session holds a timeout (and its penalty) without a long wait.
  limits: { requestTtlMs: 300, gcIntervalMs: 50 },
  recording: { params: recording },
});

/** One served session of alice: echo, a sleep that times out, echo. Returns the store and the session id. */
const recordedSession = async (recording: 'full' | 'names-only' = 'full') => {
  const store = temp.file();
  const config = writeConfig(temp.dir, configWith('1.5', recording), `recorded-${recording}.json`);
  const { client, transport } = await connectSdkClient({ config, store, agent: 'alice' });
  await client.callTool({ name: 'echo', arguments: { message: 'one' } });
  const timedOut = await client.callTool({ name: 'sleep', arguments: { ms: 60_000 } }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(timedOut).toBeInstanceOf(McpError);
  await client.callTool({ name: 'echo', arguments: { message: 'two' } });
  await closeAndWaitForExit(client, transport);
  const events = await readAllEvents(store);
  const session = events.find((event) => event.type === 'SessionStarted')!.stream.slice('session-'.length);
  return { store, config, session, events };
};

interface SessionDiff {
  same: boolean;
  differences: {
    kind: string;
    stream: string;
    type: string;
    fields?: { path: string; recorded: unknown; replayed: unknown }[];
  }[];
  balances: { agent: string; field: string; recorded: string; replayed: string }[];
}

// Each test drives several CLI processes; a loaded machine needs more than the default minute (no timing is asserted).
describe('apex replay', { timeout: 240_000 }, () => {
  it('--rebuild: writes a first checkpoint, then finds it equal, then names each value of a damaged one', async () => {
    const { store } = await recordedSession();
    const first = await apex('replay', '--store', `sqlite:${store}`, '--rebuild');
    expect(first.stdout).toContain('no checkpoint yet');
    expect(first.code).toBe(0);
    const again = await apex('replay', '--store', `sqlite:${store}`, '--rebuild');
    expect(again.stdout).toMatch(/checkpoint \S+ at position \d+: equal/);
    expect(again.code).toBe(0);

    // The checkpoint sits beside the events file; damage alice's balance and the health count in it.
    const checkpoints = openSqliteCheckpointStore(store.replace(/\.db$/, '.checkpoints.db'));
    try {
      const [saved] = await checkpoints.list();
      const parts = JSON.parse(saved!.stateJson) as Record<string, string>;
      const balances = JSON.parse(parts.balances!) as { agents: { agentId: string; balance: string }[] };
      const alice = balances.agents.find((agent) => agent.agentId === 'alice')!;
      const rebuiltBalance = alice.balance;
      alice.balance = '99000000';
      const health = JSON.parse(parts.health!) as { requestsTotal: number };
      const rebuiltTotal = health.requestsTotal;
      health.requestsTotal += 1;
      await checkpoints.save(
        saved!.name,
        saved!.position,
        JSON.stringify({ ...parts, balances: JSON.stringify(balances), health: JSON.stringify(health) }),
      );

      const damaged = await apex('replay', '--store', `sqlite:${store}`, '--rebuild');
      expect(damaged.code).toBe(1);
      expect(damaged.stdout).toContain(
        `balances  agents[alice].balance  checkpointed "99000000"  rebuilt ${JSON.stringify(rebuiltBalance)}`,
      );
      expect(damaged.stdout).toContain(
        `health-metrics  requestsTotal  checkpointed ${rebuiltTotal + 1}  rebuilt ${rebuiltTotal}`,
      );
      expect(damaged.stdout).toContain('DIFFERENT: 2 value(s)');
      // A difference leaves the evidence in place.
      expect((await checkpoints.load(saved!.name))?.stateJson).toContain('99000000');
    } finally {
      checkpoints.close();
    }
  });

  it('--session with the same build and configuration: no difference, exit 0', async () => {
    const { store, config, session } = await recordedSession();
    const result = await apex('replay', '--store', `sqlite:${store}`, '--session', session, '--config', config);
    expect(result.stdout).toContain('no difference');
    expect(result.code).toBe(0);
    const asJson = await apex(
      'replay',
      '--store',
      `sqlite:${store}`,
      '--session',
      `session-${session}`,
      '--config',
      config,
      '--format',
      'json',
    );
    expect(JSON.parse(asJson.stdout)).toMatchObject({ same: true, differences: [], balances: [], requests: 4 });
  });

  it("--session after echo's price changed: exactly the echo reservations and charges, and the balance, exit 1", async () => {
    const { store, session } = await recordedSession();
    const dearer = writeConfig(temp.dir, configWith('2'), 'dearer-echo.json');
    const result = await apex(
      'replay',
      '--store',
      `sqlite:${store}`,
      '--session',
      session,
      '--config',
      dearer,
      '--format',
      'json',
    );
    expect(result.code).toBe(1);
    const diff = JSON.parse(result.stdout) as SessionDiff;
    expect(diff.same).toBe(false);
    expect(diff.differences.map((difference) => [difference.kind, difference.stream, difference.type])).toEqual([
      ['changed', 'agent-alice', 'FundsReserved'],
      ['changed', 'agent-alice', 'ToolCallCharged'],
      ['changed', 'agent-alice', 'FundsReserved'],
      ['changed', 'agent-alice', 'ToolCallCharged'],
    ]);
    for (const difference of diff.differences) {
      for (const field of difference.fields!) {
        expect(['data.amount', 'data.reservedAmount']).toContain(field.path);
        expect([field.recorded, field.replayed]).toEqual(['1.500000', '2.000000']);
      }
    }
    // Two echo calls at 0.5 APX more each; the timed-out sleep and its penalty are unchanged.
    expect(diff.balances).toEqual([
      { agent: 'alice', field: 'balance', recorded: '11.000000', replayed: '10.000000' },
      { agent: 'alice', field: 'charged', recorded: '4.000000', replayed: '5.000000' },
    ]);

    const readable = await apex('replay', '--store', `sqlite:${store}`, '--session', session, '--config', dearer);
    expect(readable.code).toBe(1);
    expect(readable.stdout).toContain(
      '~ agent-alice ToolCallCharged  data.amount: recorded "1.500000", replayed "2.000000"; data.reservedAmount: recorded "1.500000", replayed "2.000000"',
    );
    expect(readable.stdout).toContain('~ balance: recorded 11.000000, replayed 10.000000');
  });

  it('--until: every projection just before the timeout, with the request still in flight and no penalty yet', async () => {
    const { store, events } = await recordedSession();
    const penalty = events.find((event) => event.type === 'PenaltyApplied')!;
    const timedOut = events.find((event) => event.type === 'RequestTimedOut')!;

    const before = await apex(
      'replay',
      '--store',
      `sqlite:${store}`,
      '--until',
      String(penalty.position),
      '--format',
      'json',
    );
    expect(before.code).toBe(0);
    const state = JSON.parse(before.stdout) as {
      lastPosition: string;
      balances: { agent: string; penalties: string }[];
      activeRequests: { method: string; requestId: string }[];
      recentTimeouts: unknown[];
    };
    expect(state.lastPosition).toBe(String(penalty.position - 1n));
    expect(state.balances.find((row) => row.agent === 'alice')?.penalties).toBe('0.000000');
    expect(state.activeRequests).toEqual([expect.objectContaining({ method: 'tools/call', requestId: '2' })]);
    expect(state.recentTimeouts).toEqual([]);

    const after = await apex('replay', '--store', `sqlite:${store}`, '--until', String(timedOut.position + 1n));
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('recentTimeouts');
    expect(after.stdout).toMatch(/alice\s+\S+\s+0\.000000\s+0\.000000\s+active\s+\S+\s+5\.000000/);
  });

  it('refuses a session recorded without full params, and asks for exactly one mode', async () => {
    const { store, config, session } = await recordedSession('names-only');
    const refused = await apex('replay', '--store', `sqlite:${store}`, '--session', session, '--config', config);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('recorded with recording.params "names-only"');
    const noMode = await apex('replay', '--store', `sqlite:${store}`);
    expect(noMode.code).toBe(2);
    expect(noMode.stderr).toContain('choose one of --rebuild');
    const unknown = await apex('replay', '--store', `sqlite:${store}`, '--session', 'nope', '--config', config);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no session nope');
    const help = await apex('replay', '--help');
    expect(help.stdout).toContain('Examples:');
  });
});
