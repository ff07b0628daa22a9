import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { closeAndWaitForExit, connectSdkClient, runApex, writeConfig } from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('cli');

const apex = runApex;

const CONFIG = {
  agents: {
    alice: { name: 'Alice', balance: '20', permissions: ['demo'] },
    bob: { name: 'Bob', balance: '5', permissions: ['demo'] },
  },
  tools: { echo: { price: { perCall: '1.5', perSecond: '0' }, permissions: ['demo'] } },
  toolsets: ['demo'],
};

/** A store with two agents and two charged echo calls by alice. */
const recordedStore = async (): Promise<string> => {
  const store = temp.file();
  const { client, transport } = await connectSdkClient({
    config: writeConfig(temp.dir, CONFIG),
    store,
    agent: 'alice',
  });
  await client.callTool({ name: 'echo', arguments: { message: 'one' } });
  await client.callTool({ name: 'echo', arguments: { message: 'two' } });
  await closeAndWaitForExit(client, transport);
  return store;
};

describe('the apex command line', () => {
  it('reports balances as JSON, now and as of an earlier position', async () => {
    const store = await recordedStore();
    const now = await apex('report', 'balances', '--store', `sqlite:${store}`, '--format', 'json');
    expect(now.code).toBe(0);
    const rows = JSON.parse(now.stdout) as { agent: string; balance: string; reserved: string; status: string }[];
    expect(rows.map((row) => [row.agent, row.balance, row.reserved, row.status])).toEqual([
      ['alice', '17.000000', '0.000000', 'active'],
      ['bob', '5.000000', '0.000000', 'active'],
    ]);
    // Position 2 is alice's opening credit: nothing charged yet, bob not registered yet.
    const early = await apex('report', 'balances', '--store', `sqlite:${store}`, '--format', 'json', '--at', '2');
    expect(
      (JSON.parse(early.stdout) as { agent: string; balance: string }[]).map((row) => [row.agent, row.balance]),
    ).toEqual([['alice', '20.000000']]);
    const csv = await apex('report', 'balances', '--store', `sqlite:${store}`, '--format', 'csv');
    expect(csv.stdout.split('\n')[0]).toBe(
      'agent,balance,reserved,debtLimit,status,credited,charged,penalties,lastMovementPosition',
    );
  });

  it('verify exits 0 on an intact log and 1 naming the event whose stored byte was changed', async () => {
    const store = await recordedStore();
    const intact = await apex('verify', '--store', `sqlite:${store}`);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^ok: \d+ events in \d+ streams verified/);

    const db = new Database(store);
    const victim = db
      .prepare("SELECT position, stream, revision, data FROM events WHERE type = 'ToolCallCharged' LIMIT 1")
      .get() as {
      position: number;
      stream: string;
      revision: number;
      data: string;
    };
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
      victim.data.replace('1.500000', '0.500000'),
      victim.position,
    );
    db.close();
    const tampered = await apex('verify', '--store', `sqlite:${store}`);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(
      `position ${victim.position} (${victim.stream} revision ${victim.revision}): hash_mismatch`,
    );
  });

  it('refuses a configuration with a misspelt field, naming it, with exit code 2 and no stack trace', async () => {
    const config = writeConfig(temp.dir, { agents: { alice: { name: 'Alice', balanse: '10' } } }, 'typo.json');
    const result = await apex('serve', '--config', config, '--store', 'sqlite::memory:');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('agents.alice.balanse: unknown field');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an amount with more than six decimals, naming the field', async () => {
    const config = writeConfig(
      temp.dir,
      { agents: { alice: { name: 'Alice', balance: '1.0000001' } } },
      'decimals.json',
    );
    const result = await apex('serve', '--config', config, '--store', 'sqlite::memory:');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('agents.alice.balance');
  });

  it('asks for --agent when several agents are configured, and refuses an unknown store URL', async () => {
    const config = writeConfig(temp.dir, CONFIG, 'two.json');
    expect((await apex('serve', '--config', config, '--store', 'sqlite::memory:')).stderr).toContain(
      'choose one with --agent',
    );
    const badStore = await apex('verify', '--store', 'postgres://localhost/x');
    expect(badStore.code).toBe(2);
    expect(badStore.stderr).toContain('unknown store URL');
  });

  it('prints help with an example for each command', async () => {
    for (const command of [['serve'], ['verify'], ['report', 'balances']]) {
      const help = await apex(...command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Examples?:/);
    }
  });
});
