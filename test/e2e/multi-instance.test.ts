/**
 * Several APEX instances on one store: three `apex serve` processes, each driven by the official
 * MCP SDK client, make 20 concurrent `tools/call echo` each for one agent whose funds (balance plus
 * debt limit) cover exactly 10 calls. Exactly 10 are charged whichever process they reached, the
 * other 50 are refused with INSUFFICIENT_FUNDS, the balance never goes below the debt limit, and
 * `apex report balances` agrees with a recomputation from the raw stored events.
 *
 * Once on one SQLite file, once on a three-node cluster of EventStoreDB gRPC protocol fakes running
 * in this test process (a fake: one shared in-memory log, see test/support/esdb-protocol-fake).
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/apex-process.js';
import { type EsdbProtocolFakeCluster, startEsdbProtocolFakeCluster } from '../support/esdb-protocol-fake/cluster.js';
import {
  type ApexInstance,
  callEcho,
  formatMicroApx,
  microApx,
  type RawEvent,
  recomputeAccounts,
  runApexCli,
  startApexInstance,
} from '../support/multi-instance-apex.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('multi-instance');

const INSTANCES = 3;
const CALLS_EACH = 20;
const CONFIG = {
  agents: {
    alice: {
      name: 'Alice',
      role: 'analyst',
      systemPrompt: 'Explain every figure.',
      // 7 APX and a debt limit of 3: ten calls at 1 APX fit, the eleventh does not.
      balance: '7',
      debtLimit: '3',
      permissions: ['demo'],
    },
  },
  tools: { echo: { price: { perCall: '1', perSecond: '0' }, category: 'demo', permissions: ['demo'] } },
  toolsets: ['demo'],
};

interface StoreUnderTest {
  /** One `--store` URL per instance. */
  readonly urls: readonly string[];
  /** A URL for `apex report`. */
  readonly reportUrl: string;
  /** Every stored event, read around APEX (SQL rows, or the fake's log records). */
  rawEvents(): RawEvent[];
  /** What else must hold of how the instances reached the store. */
  expectRouting(): void;
  close(): Promise<void>;
}

const sqliteStore = (): StoreUnderTest => {
  const path = temp.file();
  return {
    urls: Array.from({ length: INSTANCES }, () => `sqlite:${path}`),
    reportUrl: `sqlite:${path}`,
    rawEvents: () => {
      const db = new Database(path, { readonly: true });
      try {
        const rows = db.prepare('SELECT stream, type, data FROM events ORDER BY position').all() as {
          stream: string;
          type: string;
          data: string;
        }[];
        return rows.map((row) => ({ stream: row.stream, type: row.type, data: JSON.parse(row.data) }));
      } finally {
        db.close();
      }
    },
    expectRouting: () => undefined,
    close: async () => undefined,
  };
};

const fakeClusterStore = async (): Promise<StoreUnderTest> => {
  const cluster: EsdbProtocolFakeCluster = await startEsdbProtocolFakeCluster();
  return {
    // The leader named directly, a follower named directly (its writes are redirected to the
    // leader), and the three nodes as gossip seeds.
    urls: [cluster.connectionString(0), cluster.connectionString(1), cluster.gossipSeedConnectionString],
    reportUrl: cluster.connectionString(2),
    rawEvents: () =>
      cluster.log.records
        .filter((record) => !record.stream.startsWith('$'))
        .map((record) => ({
          stream: record.stream,
          type: record.type,
          data: JSON.parse(Buffer.from(record.data).toString('utf8')),
        })),
    expectRouting: () => {
      // Every write went through the leader: the instance that named a follower was redirected.
      // (Whether the instances also collided on the agent's expected revision depends on timing —
      // one instance may win all ten in one append — so it is not asserted; the count of charges is.)
      const [leader, follower, other] = cluster.nodes.map((node) => node.stats);
      expect(leader!.writesAsLeader).toBeGreaterThan(0);
      expect(follower!.notLeaderRefusals).toBeGreaterThan(0);
      expect([follower, other].map((stats) => stats!.writesAsLeader + stats!.writesForwarded)).toEqual([0, 0]);
    },
    close: () => cluster.stop(),
  };
};

const count = (outcomes: readonly string[], outcome: string) => outcomes.filter((value) => value === outcome).length;

describe.each([
  ['one SQLite file', async () => sqliteStore()],
  ['a three-node cluster of EventStoreDB gRPC protocol fakes', fakeClusterStore],
])('three apex serve processes on %s, one agent whose funds cover 10 calls', (_, openStore) => {
  let store: StoreUnderTest;
  const instances: ApexInstance[] = [];
  afterAll(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
    await store?.close();
  });

  it('charges exactly 10 of 60 concurrent calls, refuses 50 for funds, and never goes below the debt limit', async () => {
    store = await openStore();
    const config = writeConfig(temp.dir, CONFIG, `apex-${Date.now()}.config.json`);
    instances.push(
      ...(await Promise.all(store.urls.map((url) => startApexInstance({ config, store: url, agent: 'alice' })))),
    );

    const outcomes = (
      await Promise.all(
        instances.map((instance, process) =>
          Promise.all(
            Array.from({ length: CALLS_EACH }, (_, call) => callEcho(instance.client, `p${process}-c${call}`)),
          ),
        ),
      )
    ).flat();
    await Promise.all(instances.splice(0).map((instance) => instance.close()));

    expect(outcomes).toHaveLength(INSTANCES * CALLS_EACH);
    expect({ charged: count(outcomes, 'charged'), refused: count(outcomes, 'INSUFFICIENT_FUNDS') }).toEqual({
      charged: 10,
      refused: 50,
    });

    const events = store.rawEvents();
    expect(events.filter((event) => event.type === 'AgentRegistered')).toHaveLength(1);
    const alice = recomputeAccounts(events).get('alice')!;
    expect(alice.charges).toBe(10);
    expect(events.filter((event) => event.type === 'ToolCallCharged')).toHaveLength(10);
    expect(formatMicroApx(alice.balance)).toBe('-3.000000');
    expect(alice.reserved).toBe(0n);
    // After every single event: the balance at or above minus the debt limit, and nothing reserved
    // beyond what the balance and the debt limit cover.
    expect(alice.lowestBalance).toBeGreaterThanOrEqual(-microApx(CONFIG.agents.alice.debtLimit));
    expect(alice.lowestAvailable).toBeGreaterThanOrEqual(0n);
    expect({ pip: alice.pipOpen, suspended: alice.suspended }).toEqual({ pip: true, suspended: false });
    store.expectRouting();
  });

  it('reports balances (apex report balances --format json) as the raw events add up', async () => {
    const report = await runApexCli('report', 'balances', '--store', store.reportUrl, '--format', 'json');
    expect(report.code, report.stderr).toBe(0);
    const rows = JSON.parse(report.stdout) as Record<string, string>[];
    const recomputed = [...recomputeAccounts(store.rawEvents())].map(([agent, account]) => ({
      agent,
      balance: formatMicroApx(account.balance),
      reserved: formatMicroApx(account.reserved),
      debtLimit: formatMicroApx(account.debtLimit),
      status: account.suspended ? 'suspended' : account.pipOpen ? 'pip' : 'active',
      credited: formatMicroApx(account.credited),
      charged: formatMicroApx(account.charged),
      penalties: formatMicroApx(account.penalties),
    }));
    expect(rows.map(({ lastMovementPosition: _, ...row }) => row)).toEqual(recomputed);
    expect(rows[0]).toMatchObject({ agent: 'alice', balance: '-3.000000', charged: '10.000000', status: 'pip' });
  });
});
