import { McpError } from '@modelcontextprotocol/sdk/types.js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { formatApx, parseApx } from '../../src/domain/money.js';
import { closeAndWaitForExit, connectSdkClient, readAllEvents, writeConfig } from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-timeout');

const micro = (amount: string): bigint => {
  const parsed = parseApx(amount);
  if (E.isLeft(parsed)) throw new Error(parsed.left);
  return parsed.right;
};

describe('a request that outlives its TTL', () => {
  it('is stopped, answered with an error, recorded as RequestTimedOut, and costs the penalty plus its charge', async () => {
    const store = temp.file();
    const config = writeConfig(temp.dir, {
      agents: { alice: { name: 'Alice', balance: '100', permissions: ['demo'] } },
      tools: { sleep: { price: { perCall: '1', perSecond: '2' }, permissions: ['demo'] } },
      toolsets: ['demo'],
      limits: { requestTtlMs: 200, gcIntervalMs: 50 },
    });
    const { client, transport } = await connectSdkClient({ config, store, agent: 'alice' });
    const failure = await client
      .callTool({ name: 'sleep', arguments: { ms: 120_000 } }, undefined, { timeout: 600_000 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(McpError);
    expect((failure as McpError).data).toMatchObject({ apex: 'REQUEST_TIMED_OUT' });
    // The server keeps serving after a timeout.
    await client.ping();
    await closeAndWaitForExit(client, transport);

    const events = await readAllEvents(store);
    const timedOut = events.filter((event) => event.type === 'RequestTimedOut');
    expect(timedOut).toHaveLength(1);
    const correlationId = timedOut[0]!.metadata.correlationId;
    const ledger = events.filter(
      (event) => event.stream === 'agent-alice' && event.metadata.correlationId === correlationId,
    );
    expect(ledger.map((event) => event.type)).toEqual(['FundsReserved', 'ToolCallCharged', 'PenaltyApplied']);
    const charge = micro((ledger[1]!.data as { amount: string }).amount);
    const penalty = micro((ledger[2]!.data as { amount: string }).amount);
    expect(formatApx(penalty)).toBe('5.000000');
    expect(
      events.filter((event) => event.type === 'RequestCompleted' && event.metadata.correlationId === correlationId),
    ).toHaveLength(0);

    const again = await connectSdkClient({ config, store, agent: 'alice' });
    const read = await again.client.readResource({ uri: 'payroll://ledger/alice' });
    const view = JSON.parse((read.contents[0] as { text: string }).text) as { balance: string };
    expect(micro(view.balance)).toBe(micro('100') - penalty - charge);
    await closeAndWaitForExit(again.client, again.transport);
  });
});
