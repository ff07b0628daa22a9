/**
 * Child process for the cross-process concurrency test: makes `calls` concurrent tool calls
 * (reserve, then charge) for one agent on a shared SQLite file and prints what happened as JSON.
 */
import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { apx } from '../../src/domain/money.js';
import { AgentAccounts } from '../../src/server/agent-accounts.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const [path, agent, calls] = process.argv.slice(2) as [string, string, string];
const store = openSqliteStore({ path });
const accounts = new AgentAccounts(store);
const account = await accounts.get(agent);
const price = apx('1');
const outcomes = await Promise.all(
  Array.from({ length: Number(calls) }, async (_, index) => {
    const reservationId = randomUUID();
    const metadata = { agent, correlationId: `${process.pid}:${index}`, timestamp: new Date().toISOString() };
    const reserved = await account.execute(
      {
        type: 'ReserveFunds',
        data: { reservationId, tool: 'echo', amount: price, correlationId: metadata.correlationId },
      },
      metadata,
    );
    if (E.isLeft(reserved)) return reserved.left.code;
    const charged = await account.execute(
      { type: 'ChargeToolCall', data: { reservationId, amount: price, durationMs: 1 } },
      metadata,
    );
    return E.isRight(charged) ? 'charged' : charged.left.code;
  }),
);
await store.close();
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
