import { describe, expect, it } from 'vitest';
import { closeAndWaitForExit, connectSdkClient, readAllEvents, runApex, writeConfig } from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('writer-thread');
const CONFIG = {
  agents: { alice: { name: 'Alice', balance: '100', permissions: ['demo'] } },
  tools: { echo: { price: { perCall: '1', perSecond: '0' }, category: 'demo', permissions: ['demo'] } },
  toolsets: ['demo'],
};

describe('apex serve with its SQLite commits on a writer thread (sqlite:PATH?writer=thread)', () => {
  it('records and charges every call, and leaves chains that verify, as with inline commits', async () => {
    const store = temp.file();
    const { client, transport } = await connectSdkClient({
      config: writeConfig(temp.dir, CONFIG),
      store: `${store}?writer=thread`,
      agent: 'alice',
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) => client.callTool({ name: 'echo', arguments: { message: `m${n}` } })),
    );
    expect(results.map((result) => (result.content as { text: string }[])[0]!.text)).toEqual(
      Array.from({ length: 20 }, (_, n) => `m${n}`),
    );
    await closeAndWaitForExit(client, transport);

    const events = await readAllEvents(store);
    const count = (type: string) => events.filter((event) => event.type === type).length;
    expect(count('FundsReserved')).toBe(20);
    expect(count('ToolCallCharged')).toBe(20);
    expect(count('ToolCallSucceeded')).toBe(20);
    expect(count('SessionEnded')).toBe(1);
    expect((await runApex('verify', '--store', `sqlite:${store}`)).code).toBe(0);
    const balances = JSON.parse(
      (await runApex('report', 'balances', '--store', `sqlite:${store}`, '--format', 'json')).stdout,
    ) as { agent: string; balance: string; reserved: string }[];
    expect(balances.find((row) => row.agent === 'alice')).toMatchObject({ balance: '80.000000', reserved: '0.000000' });
  });
});
