import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { verifyChain } from '../../src/store/verify.js';
import { closeAndWaitForExit, connectSdkClient, readAllEvents, writeConfig } from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-stdio');

const CONFIG = {
  agents: {
    alice: {
      name: 'Alice',
      role: 'analyst',
      systemPrompt: 'Explain every figure.',
      balance: '100',
      debtLimit: '0',
      permissions: ['demo'],
    },
    bob: {
      name: 'Bob',
      role: 'auditor',
      systemPrompt: 'Audit.',
      balance: '10',
      debtLimit: '0',
      permissions: ['demo', 'auditor'],
    },
  },
  tools: {
    echo: { price: { perCall: '0.25', perSecond: '0' }, category: 'demo', permissions: ['demo'] },
    sleep: { price: { perCall: '1', perSecond: '2' }, category: 'demo', permissions: ['demo'] },
  },
  toolsets: ['demo'],
};

const typesOf = (events: readonly RecordedEvent[]) => events.map((event) => event.type);

describe('apex serve over stdio, driven by the official SDK 1.x client', () => {
  const store = temp.file();
  let events: RecordedEvent[] = [];
  const seen: {
    progress: number[];
    updates: string[];
    echoText?: string;
    cancelledError?: unknown;
    prompts?: string[];
    promptText?: string;
    missingArgumentError?: unknown;
    completions?: string[];
  } = {
    progress: [],
    updates: [],
  };
  let client: Client;

  beforeAll(async () => {
    const config = writeConfig(temp.dir, CONFIG);
    const connected = await connectSdkClient({ config, store, agent: 'alice' });
    client = connected.client;
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      seen.updates.push(notification.params.uri);
    });

    const listed = await client.listTools();
    expect(listed.tools.map((tool) => tool.name)).toEqual([
      'ask_model',
      'ask_user',
      'echo',
      'fail',
      'ledger_balance',
      'ledger_history',
      'memory_search',
      'memory_store',
      'sleep',
    ]);
    await client.subscribeResource({ uri: 'payroll://ledger/alice' });
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
    seen.echoText = (echoed.content as { text: string }[])[0]?.text;

    // A sleep with progress, cancelled after its first progress report.
    const controller = new AbortController();
    await client
      .callTool({ name: 'sleep', arguments: { ms: 30_000 } }, undefined, {
        signal: controller.signal,
        onprogress: (progress) => {
          seen.progress.push(progress.progress);
          if (seen.progress.length === 2) controller.abort('enough');
        },
      })
      .catch((error: unknown) => {
        seen.cancelledError = error;
      });
    // A later request proves the server still serves after the cancellation.
    await client.ping();
    seen.prompts = (await client.listPrompts()).prompts.map((prompt) => prompt.name);
    const prompt = await client.getPrompt({
      name: 'task',
      arguments: { task_type: 'analysis', description: 'Q3 spend' },
    });
    const content = prompt.messages[0]?.content;
    seen.promptText = content?.type === 'text' ? content.text : undefined;
    seen.missingArgumentError = await client
      .getPrompt({ name: 'task', arguments: {} })
      .catch((error: unknown) => error);
    const completion = await client.complete({
      ref: { type: 'ref/prompt', name: 'task' },
      argument: { name: 'task_type', value: 'an' },
    });
    seen.completions = completion.completion.values;
    await closeAndWaitForExit(client, connected.transport);
    events = await readAllEvents(store);
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
  });

  it('answers the tool call', () => {
    expect(seen.echoText).toBe('hello');
  });

  it('records the echo call as exactly the expected events, in order, under one correlation id', () => {
    const call = events.find(
      (event) => event.type === 'ToolCallRequested' && (event.data as { tool: string }).tool === 'echo',
    );
    expect(call).toBeDefined();
    const correlationId = call!.metadata.correlationId;
    const ofCall = events.filter((event) => event.metadata.correlationId === correlationId);
    const session = ofCall.filter((event) => event.stream.startsWith('session-'));
    const ledger = ofCall.filter((event) => event.stream === 'agent-alice');
    expect(typesOf(session)).toEqual(['RequestReceived', 'ToolCallRequested', 'ToolCallSucceeded', 'RequestCompleted']);
    expect(typesOf(ledger)).toEqual(['FundsReserved', 'ToolCallCharged']);
    expect((ledger[1]!.data as { amount: string }).amount).toBe('0.250000');
  });

  it('reports progress and stops the sleep when the client cancels it, recording RequestCancelled', () => {
    expect(seen.progress.length).toBeGreaterThanOrEqual(2);
    expect(seen.cancelledError).toBeDefined();
    const cancelled = events.filter((event) => event.type === 'RequestCancelled');
    expect(cancelled).toHaveLength(1);
    const correlationId = cancelled[0]!.metadata.correlationId;
    const ofCall = events.filter((event) => event.metadata.correlationId === correlationId);
    expect(typesOf(ofCall.filter((event) => event.stream === 'agent-alice'))).toEqual([
      'FundsReserved',
      'ToolCallCharged',
    ]);
    expect(typesOf(ofCall.filter((event) => event.stream.startsWith('session-')))).toEqual([
      'RequestReceived',
      'ToolCallRequested',
      'ToolCallFailed',
      'RequestCancelled',
    ]);
  });

  it('serves the task prompt in the agent persona, validates its arguments and completes them', () => {
    expect(seen.prompts).toEqual(['task']);
    expect(seen.promptText).toContain('You are Alice; your role: analyst.');
    expect(seen.promptText).toContain('Explain every figure.');
    expect(seen.promptText).toContain('Current task (analysis): Q3 spend');
    expect((seen.missingArgumentError as { code: number }).code).toBe(-32602);
    expect(seen.completions).toEqual(['analysis']);
  });

  it('notifies the subscriber when its ledger changes', () => {
    expect(seen.updates).toContain('payroll://ledger/alice');
  });

  it('leaves balances that match the charges recorded, and chains that verify', async () => {
    const charged = events
      .filter((event) => event.stream === 'agent-alice' && event.type === 'ToolCallCharged')
      .reduce((sum, event) => sum + Number((event.data as { amount: string }).amount), 0);
    const reader = openSqliteStore({ path: store });
    try {
      expect((await verifyChain(reader)).ok).toBe(true);
    } finally {
      await reader.close();
    }
    const { client: again, transport } = await connectSdkClient({
      config: writeConfig(temp.dir, CONFIG, 'again.json'),
      store,
      agent: 'alice',
    });
    const ledger = await again.readResource({ uri: 'payroll://ledger/alice' });
    const view = JSON.parse((ledger.contents[0] as { text: string }).text) as { balance: string; reserved: string };
    expect(view.reserved).toBe('0.000000');
    expect(Number(view.balance)).toBeCloseTo(100 - charged, 6);
    await closeAndWaitForExit(again, transport);
  });
});
