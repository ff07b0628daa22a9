import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { apx, formatApx } from '../../src/domain/money.js';
import { AgentAccounts } from '../../src/server/agent-accounts.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { REPO_ROOT } from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const run = promisify(execFile);
const temp = useTempDir('agent-concurrency');
const agent = {
  id: 'alice',
  name: 'Alice',
  role: 'analyst',
  systemPrompt: '',
  balance: apx('10'),
  debtLimit: 0n,
  permissions: [],
};

const chargeConcurrently = async (accounts: AgentAccounts, calls: number) => {
  const account = await accounts.get('alice');
  return Promise.all(
    Array.from({ length: calls }, async (_, index) => {
      const reservationId = randomUUID();
      const metadata = { agent: 'alice', correlationId: `t:${index}`, timestamp: new Date().toISOString() };
      const reserved = await account.execute(
        {
          type: 'ReserveFunds',
          data: { reservationId, tool: 'echo', amount: apx('1'), correlationId: metadata.correlationId },
        },
        metadata,
      );
      if (E.isLeft(reserved)) return reserved.left.code;
      const charged = await account.execute(
        { type: 'ChargeToolCall', data: { reservationId, amount: apx('1'), durationMs: 1 } },
        metadata,
      );
      return E.isRight(charged) ? 'charged' : charged.left.code;
    }),
  );
};

const count = (outcomes: readonly string[], outcome: string) => outcomes.filter((value) => value === outcome).length;

describe('concurrent tool calls charging one agent whose funds cover 10', () => {
  it('charges exactly 10 of 50 concurrent calls in one process', async () => {
    const store = openSqliteStore({ path: temp.file() });
    const accounts = new AgentAccounts(store);
    await accounts.registerConfigured([agent]);
    const outcomes = await chargeConcurrently(accounts, 50);
    expect(count(outcomes, 'charged')).toBe(10);
    expect(count(outcomes, 'INSUFFICIENT_FUNDS')).toBe(40);
    const state = (await new AgentAccounts(store).get('alice')).state;
    expect(formatApx(state.balance)).toBe('0.000000');
    expect(state.reserved).toBe(0n);
    await store.close();
  });

  it('charges exactly 10 of 50 calls made by two writers with separate caches on one file', async () => {
    const path = temp.file();
    const first = openSqliteStore({ path });
    const second = openSqliteStore({ path });
    const registering = new AgentAccounts(first);
    await registering.registerConfigured([agent]);
    const [a, b] = await Promise.all([
      chargeConcurrently(new AgentAccounts(first), 25),
      chargeConcurrently(new AgentAccounts(second), 25),
    ]);
    const outcomes = [...a, ...b];
    expect(count(outcomes, 'charged')).toBe(10);
    expect(count(outcomes, 'INSUFFICIENT_FUNDS')).toBe(40);
    await Promise.all([first.close(), second.close()]);
  });

  it('charges exactly 10 of 50 calls made by two processes on one SQLite file, never below the debt limit', async () => {
    const path = temp.file();
    const store = openSqliteStore({ path });
    await new AgentAccounts(store).registerConfigured([agent]);
    await store.close();
    const child = () =>
      run(process.execPath, ['--import', 'tsx', 'test/support/charge-agent.ts', path, 'alice', '25'], {
        cwd: REPO_ROOT,
      });
    const results = await Promise.all([child(), child()]);
    const outcomes = results.flatMap((result) => JSON.parse(result.stdout) as string[]);
    expect(count(outcomes, 'charged')).toBe(10);
    expect(count(outcomes, 'INSUFFICIENT_FUNDS')).toBe(40);

    // Replaying the ledger event by event: available funds never went below zero.
    const reader = openSqliteStore({ path });
    let balance = 0n;
    let reserved = 0n;
    for await (const event of reader.readStream('agent-alice')) {
      const data = event.data as { amount?: string; reservedAmount?: string };
      const amount = data.amount === undefined ? 0n : apx(data.amount);
      if (event.type === 'FundsCredited') balance += amount;
      if (event.type === 'FundsReserved') reserved += amount;
      if (event.type === 'ToolCallCharged') {
        balance -= amount;
        reserved -= apx(data.reservedAmount ?? '0');
      }
      expect(balance - reserved).toBeGreaterThanOrEqual(0n);
    }
    expect(balance).toBe(0n);
    await reader.close();
  });
});
