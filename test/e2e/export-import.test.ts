import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatApx } from '../../src/domain/money.js';
import { balancesProjection, evaluateAsOf } from '../../src/projections/index.js';
import type { EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { openEventStoreDbStore } from '../../src/store/eventstoredb/index.js';
import { verifyExport } from '../../src/store/export-format.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { verifyChain } from '../../src/store/verify.js';
import {
  type CliRun,
  cliArgs,
  closeAndWaitForExit,
  connectSdkClient,
  REPO_ROOT,
  runApex,
  writeConfig,
} from '../support/apex-process.js';
import { startEsdbProtocolFakeCluster } from '../support/esdb-protocol-fake/cluster.js';
import { startEsdbProtocolFake } from '../support/esdb-protocol-fake/index.js';
import { useTempDir } from '../support/sqlite-temp.js';
import { until } from '../support/wait-until.js';

const temp = useTempDir('export-import');

const apex = runApex;

/** Runs the CLI with `input` on its stdin. */
const apexWithInput = (input: string, ...args: string[]): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(...args), { cwd: REPO_ROOT });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }),
    );
    child.stdin.end(input);
  });

const CONFIG = {
  agents: {
    alice: { name: 'Alice', balance: '20', permissions: ['demo'] },
    bob: { name: 'Bob', balance: '5', permissions: ['demo'] },
  },
  tools: { echo: { price: { perCall: '1.5', perSecond: '0' }, permissions: ['demo'] } },
  toolsets: ['demo'],
};

/** A store written by a real `apex serve`: registrations, charged and failed calls, a memory, a denied call. */
const recordedStore = async (): Promise<string> => {
  const store = temp.file();
  const config = writeConfig(temp.dir, CONFIG);
  const alice = await connectSdkClient({ config, store, agent: 'alice' });
  await alice.client.callTool({ name: 'echo', arguments: { message: 'one "quoted" ünïcode ✓' } });
  await alice.client.callTool({ name: 'fail', arguments: { reason: 'on purpose' } });
  await alice.client.callTool({ name: 'memory_store', arguments: { text: 'remember the milk', tags: ['home'] } });
  await alice.client.callTool({ name: 'echo', arguments: { message: 'two' } });
  await closeAndWaitForExit(alice.client, alice.transport);
  const bob = await connectSdkClient({ config, store, agent: 'bob' });
  for (let call = 0; call < 3; call++)
    await bob.client.callTool({ name: 'echo', arguments: { message: `bob ${call}` } });
  await closeAndWaitForExit(bob.client, bob.transport);
  return store;
};

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

/** Every agent's money, without positions (a target engine assigns its own). */
const balancesOf = async (store: EventStore) => {
  const state = await evaluateAsOf(balancesProjection, store.readAll(), { position: await store.headPosition() });
  return Object.fromEntries(
    [...state.agents.values()].map((agent) => [
      agent.agentId,
      {
        balance: formatApx(agent.balance),
        reserved: formatApx(agent.reserved),
        charged: formatApx(agent.totalCharged),
        penalties: formatApx(agent.totalPenalties),
        status: agent.status,
      },
    ]),
  );
};

const digestOf = (verifyOutput: string): string | undefined => /heads digest: ([0-9a-f]{64})/.exec(verifyOutput)?.[1];

/** A store written by `apex serve`, and its full export by `apex export` in `file`. */
const exportedRecordedStore = async (file: string): Promise<{ source: string; exported: string }> => {
  const source = await recordedStore();
  const exported = join(temp.dir, file);
  expect((await apex('export', '--store', `sqlite:${source}`, '--out', exported)).code).toBe(0);
  return { source, exported };
};

const expectImported = (run: CliRun): void => {
  expect(run.stdout).toContain('ok: imported');
  expect(run.code).toBe(0);
};

/**
 * What a migration into EventStoreDB must keep, checked on the target itself (read through
 * `targetUrl`): its chain verifies to the source's heads digest, every agent's money is the same,
 * and so is the global order of events, though the positions are the engine's.
 */
const expectSameLogInEventStoreDb = async (targetUrl: string, source: string): Promise<void> => {
  const target = openEventStoreDbStore(targetUrl);
  const sourceStore = openSqliteStore({ path: source });
  try {
    const sourceChain = await verifyChain(sourceStore);
    expect(sourceChain.ok).toBe(true);
    expect(await verifyChain(target)).toMatchObject({ ok: true, digest: sourceChain.ok ? sourceChain.digest : '' });
    expect(await balancesOf(target)).toEqual(await balancesOf(sourceStore));
    const order = async (store: EventStore) => (await collect(store.readAll())).map((event) => event.id);
    expect(await order(target)).toEqual(await order(sourceStore));
  } finally {
    await target.close();
    await sourceStore.close();
  }
};

// Each test drives several CLI processes; a loaded machine needs more than the default minute (no timing is asserted).
describe('apex export and apex import', { timeout: 240_000 }, () => {
  it('migrates a served SQLite store into a fresh SQLite store: verify passes, digests and balance reports are equal', async () => {
    const source = await recordedStore();
    const exported = join(temp.dir, 'full.ndjson');
    const exportRun = await apex('export', '--store', `sqlite:${source}`, '--out', exported);
    expect(exportRun.code).toBe(0);
    expect(exportRun.stderr).toMatch(/exported \d+ events in \d+ streams/);

    const lines = readFileSync(exported, 'utf8').split('\n');
    const report = verifyExport(lines);
    expect(report).toMatchObject({ ok: true, partial: false, anchors: [] });

    const target = temp.file('target');
    const importRun = await apex('import', '--store', `sqlite:${target}`, '--in', exported);
    expect(importRun.stdout).toContain('ok: imported');
    expect(importRun.code).toBe(0);

    const sourceVerify = await apex('verify', '--store', `sqlite:${source}`);
    const targetVerify = await apex('verify', '--store', `sqlite:${target}`);
    expect(targetVerify.code).toBe(0);
    expect(digestOf(targetVerify.stdout)).toBe(digestOf(sourceVerify.stdout));
    expect(report.ok && report.headsDigest).toBe(digestOf(sourceVerify.stdout));

    const balances = async (store: string) =>
      (await apex('report', 'balances', '--store', `sqlite:${store}`, '--format', 'json')).stdout;
    const sourceBalances = await balances(source);
    expect(JSON.parse(sourceBalances)).toHaveLength(2);
    expect(await balances(target)).toBe(sourceBalances);

    // Ids, revisions, data, metadata and hashes survive; positions are the target's.
    const sourceStore = openSqliteStore({ path: source });
    const targetStore = openSqliteStore({ path: target });
    try {
      const strip = ({ position: _position, ...rest }: { position: bigint }) => rest;
      expect((await collect(targetStore.readAll())).map(strip)).toEqual(
        (await collect(sourceStore.readAll())).map(strip),
      );
    } finally {
      await sourceStore.close();
      await targetStore.close();
    }
  });

  it('migrates into the EventStoreDB adapter (on the gRPC protocol fake): the chain verifies and balances are equal', async () => {
    const { source, exported } = await exportedRecordedStore('to-esdb.ndjson');
    const fake = await startEsdbProtocolFake();
    try {
      expectImported(await apex('import', '--store', fake.connectionString, '--in', exported));
      await expectSameLogInEventStoreDb(fake.connectionString, source);
    } finally {
      await fake.stop();
    }
  });

  it('migrates into a three-node cluster of protocol fakes through gossip seeds, across a leader change mid-import', async () => {
    const { source, exported } = await exportedRecordedStore('to-esdb-cluster.ndjson');
    const cluster = await startEsdbProtocolFakeCluster();
    try {
      // The leader commits the import's first append and dies before answering it; node 1 leads
      // after a 200 ms election, and the import sends that append again there.
      cluster.holdReplies(0);
      const importing = apex('import', '--store', cluster.gossipSeedConnectionString, '--in', exported);
      await until(() => cluster.heldReplies(0) === 1, 'the leader holds the first append', 120_000);
      await cluster.stopNode(0, { electionMs: 200, successor: 1 });
      expectImported(await importing);

      const [, newLeader, follower] = cluster.nodes.map((node) => node.stats);
      expect(newLeader!.retriesRecognised).toBe(1);
      expect(newLeader!.writesAsLeader).toBeGreaterThan(1);
      expect(follower!.writesAsLeader + follower!.writesForwarded).toBe(0);
      await expectSameLogInEventStoreDb(cluster.discoveryConnectionString(2), source);
    } finally {
      await cluster.stop();
    }
  });

  it('pipes: export to stdout, import from stdin', async () => {
    const source = await recordedStore();
    const exported = await apex('export', '--store', `sqlite:${source}`);
    expect(exported.code).toBe(0);
    expect(exported.stdout.split('\n')[0]).toContain('"kind":"header"');
    const target = temp.file('piped');
    const imported = await apexWithInput(exported.stdout, 'import', '--store', `sqlite:${target}`, '--in', '-');
    expect(imported.code).toBe(0);
    expect((await apex('verify', '--store', `sqlite:${target}`)).code).toBe(0);
  });

  it("exports with an agent its tasks, used request states and access log, never another agent's", async () => {
    const path = join(temp.dir, 'entities.db');
    const store = openSqliteStore({ path });
    const at = (agent: string) => ({ agent, timestamp: '2026-11-25T10:00:00.000Z' });
    const recorded = (type: string, data: Record<string, unknown>, agent: string) => ({
      type,
      schemaVersion: 1,
      data,
      metadata: at(agent),
    });
    const nonce = 'a'.repeat(32);
    try {
      for (const [stream, type, data, agent] of [
        ['agent-bob', 'FundsCredited', { amount: '1' }, 'bob'],
        ['access-bob', 'TokenIssued', { agent: 'bob' }, 'bob'],
        ['access-alice', 'TokenIssued', { agent: 'alice' }, 'alice'],
        ['session-s1', 'SessionStarted', { agent: 'bob' }, 'bob'],
        ['session-s2', 'SessionStarted', { agent: 'alice' }, 'alice'],
        ['task-t1', 'TaskCreated', { agent: 'bob' }, 'bob'],
        ['task-t1', 'TaskCompleted', {}, 'bob'],
        ['task-t2', 'TaskCreated', { agent: 'alice' }, 'alice'],
        [`requeststate-${nonce}`, 'RequestStateConsumed', { agent: 'bob', nonce }, 'bob'],
        [`requeststate-${'b'.repeat(32)}`, 'RequestStateConsumed', { agent: 'alice' }, 'alice'],
      ] as const) {
        await store.append(stream, 'any', [recorded(type, data, agent)]);
      }
    } finally {
      await store.close();
    }
    const file = join(temp.dir, 'entities-bob.ndjson');
    expect((await apex('export', '--store', `sqlite:${path}`, '--agent', 'bob', '--out', file)).code).toBe(0);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(verifyExport(lines)).toMatchObject({ ok: true, partial: true });
    const heads = lines
      .filter((line) => line.includes('"kind":"head"'))
      .map((line) => (JSON.parse(line) as { stream: string }).stream)
      .sort();
    expect(heads).toEqual(['access-bob', 'agent-bob', `requeststate-${nonce}`, 'session-s1', 'task-t1']);
  });

  it("exports one agent's streams, and a time range with anchors, both verifiable on their own", async () => {
    const source = await recordedStore();
    const sourceStore = openSqliteStore({ path: source });
    let events: RecordedEvent[];
    try {
      events = await collect(sourceStore.readAll());
    } finally {
      await sourceStore.close();
    }

    const agentFile = join(temp.dir, 'bob.ndjson');
    expect((await apex('export', '--store', `sqlite:${source}`, '--agent', 'bob', '--out', agentFile)).code).toBe(0);
    const agentReport = verifyExport(readFileSync(agentFile, 'utf8').split('\n'));
    expect(agentReport).toMatchObject({ ok: true, partial: true, filters: { agent: 'bob' } });
    const bobSession = events.find(
      (event) => event.type === 'SessionStarted' && event.metadata.agent === 'bob',
    )!.stream;
    const exportedStreams = readFileSync(agentFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"kind":"head"'))
      .map((line) => (JSON.parse(line) as { stream: string }).stream);
    expect(exportedStreams).toEqual(['agent-bob', bobSession]);

    // From the middle of bob's session on: each stream's slice is anchored on the event before it.
    const middle = events.filter((event) => event.stream === bobSession)[5]!;
    const rangeFile = join(temp.dir, 'range.ndjson');
    const range = await apex(
      'export',
      '--store',
      `sqlite:${source}`,
      '--since',
      String(middle.position),
      '--out',
      rangeFile,
    );
    expect(range.code).toBe(0);
    const rangeReport = verifyExport(readFileSync(rangeFile, 'utf8').split('\n'));
    expect(rangeReport.ok).toBe(true);
    const anchorOfSession = rangeReport.ok
      ? rangeReport.anchors.find((anchor) => anchor.stream === bobSession)
      : undefined;
    const before = events.find((event) => event.stream === bobSession && event.revision === middle.revision - 1n)!;
    expect(anchorOfSession).toEqual({ stream: bobSession, revision: before.revision, hash: before.hash });

    // A partial export cannot seed a store.
    const refused = await apex('import', '--store', `sqlite:${temp.file('partial')}`, '--in', rangeFile);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('this export is partial');
  });

  it('refuses a tampered export before writing anything, and a target that is not empty', async () => {
    const source = await recordedStore();
    const exported = join(temp.dir, 'tamper.ndjson');
    expect((await apex('export', '--store', `sqlite:${source}`, '--out', exported)).code).toBe(0);
    const text = readFileSync(exported, 'utf8');
    const tamperedFile = join(temp.dir, 'tampered.ndjson');
    const lines = text.split('\n');
    const chargeLine = lines.findIndex((line) => line.includes('"ToolCallCharged"'));
    lines[chargeLine] = lines[chargeLine]!.replace('1.500000', '0.500000');
    writeFileSync(tamperedFile, lines.join('\n'));

    const target = temp.file('untouched');
    const refused = await apex('import', '--store', `sqlite:${target}`, '--in', tamperedFile);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`REFUSED: the export does not verify: line ${chargeLine + 1}: hash_mismatch`);
    const untouched = openSqliteStore({ path: target });
    try {
      expect(await untouched.headPosition()).toBe(-1n);
    } finally {
      await untouched.close();
    }

    const notEmpty = await apex('import', '--store', `sqlite:${source}`, '--in', exported);
    expect(notEmpty.code).toBe(2);
    expect(notEmpty.stderr).toContain('already holds events');

    const existing = await apex('export', '--store', `sqlite:${source}`, '--out', exported);
    expect(existing.code).toBe(2);
    expect(existing.stderr).toContain('exists');
  });

  it('prints help with an example for export and import', async () => {
    for (const command of ['export', 'import']) {
      const help = await apex(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Example');
    }
  });
});
