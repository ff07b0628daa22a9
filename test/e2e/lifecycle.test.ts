import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  cliArgs,
  closeAndWaitForExit,
  connectSdkClient,
  REPO_ROOT,
  readAllEvents,
  writeConfig,
} from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('lifecycle');
const CONFIG = {
  agents: { alice: { name: 'Alice', balance: '100', permissions: ['demo'] }, bob: { name: 'Bob', balance: '7' } },
  toolsets: ['demo'],
};

const line = (message: unknown) => `${JSON.stringify(message)}\n`;
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('lifecycle', () => {
  it('on SIGTERM finishes the request in flight, records it, ends the session and exits 0', async () => {
    const store = temp.file();
    const child = spawn(
      process.execPath,
      cliArgs('serve', '--config', writeConfig(temp.dir, CONFIG), '--store', `sqlite:${store}`, '--agent', 'alice'),
      {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, APEX_LOG_LEVEL: 'warn' },
      },
    );
    const responses: { id?: unknown; result?: unknown }[] = [];
    let buffered = '';
    const answered = (id: number) =>
      new Promise<void>((resolve) => {
        const check = () => (responses.some((response) => response.id === id) ? resolve() : setTimeout(check, 10));
        check();
      });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        responses.push(JSON.parse(buffered.slice(0, newline)));
        buffered = buffered.slice(newline + 1);
      }
    });
    child.stdin.write(line(INITIALIZE));
    await answered(1);
    child.stdin.write(line({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    child.stdin.write(
      line({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'sleep', arguments: { ms: 1500 }, _meta: { progressToken: 'p' } },
      }),
    );
    // Once the sleep reports progress it is running: then ask the server to stop.
    await new Promise<void>((resolve) => {
      const check = () =>
        responses.some((response) => (response as { method?: string }).method === 'notifications/progress')
          ? resolve()
          : setTimeout(check, 10);
      check();
    });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    const result = responses.find((response) => response.id === 2);
    expect(result?.result).toMatchObject({ content: [{ type: 'text', text: 'slept 1500 ms' }] });
    const events = await readAllEvents(store);
    const sessionTypes = events.filter((event) => event.stream.startsWith('session-')).map((event) => event.type);
    expect(sessionTypes.slice(-3)).toEqual(['ToolCallSucceeded', 'RequestCompleted', 'SessionEnded']);
  });

  it('sends notifications/message at or above the level the client set, and none below it', async () => {
    const store = temp.file();
    const { client, transport } = await connectSdkClient({
      config: writeConfig(temp.dir, CONFIG, 'log.json'),
      store,
      agent: 'alice',
    });
    const messages: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      messages.push(notification.params.level);
    });
    await client.setLoggingLevel('error');
    await client.callTool({ name: 'sleep', arguments: { ms: 1 } });
    expect(messages).toEqual([]);
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'sleep', arguments: { ms: 1 } });
    expect(messages).toEqual(['info']);
    await closeAndWaitForExit(client, transport);
  });

  it('registers each configured agent exactly once when two processes start together on one store', async () => {
    const store = temp.file();
    const config = writeConfig(temp.dir, CONFIG, 'race.json');
    const [first, second] = await Promise.all([
      connectSdkClient({ config, store, agent: 'alice' }),
      connectSdkClient({ config, store, agent: 'bob' }),
    ]);
    await Promise.all([first.client.ping(), second.client.ping()]);
    await Promise.all([
      closeAndWaitForExit(first.client, first.transport),
      closeAndWaitForExit(second.client, second.transport),
    ]);
    const registered = (await readAllEvents(store)).filter((event) => event.type === 'AgentRegistered');
    expect(registered.map((event) => event.stream).sort()).toEqual(['agent-alice', 'agent-bob']);
  });
});
