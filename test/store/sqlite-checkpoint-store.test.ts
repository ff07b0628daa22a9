import { afterEach, describe, expect, it } from 'vitest';
import { balancesProjection, runProjection } from '../../src/projections/index.js';
import type { NewEvent } from '../../src/store/event-store.js';
import {
  NotACheckpointFile,
  openSqliteCheckpointStore,
  openSqliteStore,
  type SqliteCheckpointStore,
} from '../../src/store/sqlite/index.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('checkpoints');
const opened: SqliteCheckpointStore[] = [];
const open = (path: string): SqliteCheckpointStore => {
  const store = openSqliteCheckpointStore(path);
  opened.push(store);
  return store;
};
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

const ledgerEvent = (type: string, data: unknown): NewEvent => ({
  type,
  schemaVersion: 1,
  data,
  metadata: { timestamp: '2026-11-25T10:00:00.000Z', agent: 'alice' },
});

describe('the SQLite checkpoint store', () => {
  it('loads nothing for an unknown name, then the last save of each name', async () => {
    const checkpoints = open(':memory:');
    expect(await checkpoints.load('balances@v1')).toBeUndefined();
    await checkpoints.save('balances@v1', 10n, '{"a":1}');
    await checkpoints.save('balances@v1', 2n ** 62n, '{"a":2}');
    await checkpoints.save('health-metrics@v1', 3n, '{}');
    expect(await checkpoints.load('balances@v1')).toEqual({ position: 2n ** 62n, stateJson: '{"a":2}' });
    expect((await checkpoints.list()).map(({ name, position }) => [name, position])).toEqual([
      ['balances@v1', 2n ** 62n],
      ['health-metrics@v1', 3n],
    ]);
  });

  it('keeps checkpoints across reopening the file', async () => {
    const path = temp.file('checkpoints');
    const first = open(path);
    await first.save('tool-usage@v1', 42n, '{"byTool":[]}');
    first.close();
    const again = open(path);
    expect(await again.load('tool-usage@v1')).toEqual({ position: 42n, stateJson: '{"byTool":[]}' });
    expect((await again.list())[0]?.savedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('refuses to put checkpoints into an event store file', async () => {
    const path = temp.file('events');
    await openSqliteStore({ path }).close();
    expect(() => open(path)).toThrow(NotACheckpointFile);
  });

  it('lets the projection runner resume where it stopped', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    try {
      await store.append('agent-alice', 'no_stream', [
        ledgerEvent('AgentRegistered', {
          agentId: 'alice',
          name: 'Alice',
          role: '',
          systemPrompt: '',
          permissions: [],
          debtLimit: '0',
        }),
        ledgerEvent('FundsCredited', { amount: '20', reason: 'opening', from: 'system-bank', to: 'agent-alice' }),
      ]);
      const checkpoints = open(temp.file('runner'));
      const first = runProjection(store, balancesProjection, checkpoints, { checkpointEvery: 1 });
      await first.caughtUp;
      await first.stop();
      const saved = await checkpoints.load('balances@v1');
      expect(saved?.position).toBe(await store.headPosition());

      const resumed = runProjection(store, balancesProjection, checkpoints);
      await resumed.caughtUp;
      expect(resumed.position()).toBe(saved?.position);
      expect(resumed.current().agents.get('alice')?.balance).toBe(20_000_000n);
      await resumed.stop();
    } finally {
      await store.close();
    }
  });
});
