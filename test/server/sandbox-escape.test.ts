import * as E from 'fp-ts/lib/Either.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/server/config.js';
import { McpConnection, type OutgoingMessage } from '../../src/server/connection.js';
import { createServerContext } from '../../src/server/server-context.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('sandbox');

describe('a PRE_TOOL hook that detects a sandbox escape attempt', () => {
  it('refuses the call, records a security incident, suspends the agent at once, and refuses its later calls', async () => {
    const store = openSqliteStore({ path: temp.file() });
    const config = parseConfig({
      agents: { mallory: { name: 'Mallory', balance: '100', permissions: ['demo'] } },
      toolsets: ['demo'],
    });
    if (E.isLeft(config)) throw config.left;
    const context = await createServerContext({ store, config: config.right, logger: pino({ level: 'silent' }) });
    context.hooks.register({
      name: 'path-guard',
      beforeTool: ({ arguments: args }) =>
        String(args.message ?? '').includes('../../etc/passwd')
          ? { kind: 'veto', condition: 'SANDBOX_ESCAPE_ATTEMPT', message: 'path traversal outside the sandbox' }
          : { kind: 'proceed', arguments: args },
    });
    const sent: OutgoingMessage[] = [];
    const connection = await McpConnection.open(context, {
      transport: 'stdio',
      agent: 'mallory',
      sessionId: 'sandbox-test',
      send: (message) => sent.push(message),
    });
    const request = (id: number, method: string, params: unknown) =>
      connection.handle({ kind: 'request', id, method, params });
    await request(1, 'initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    });
    await connection.handle({ kind: 'notification', method: 'notifications/initialized', params: undefined });
    await request(2, 'tools/call', { name: 'echo', arguments: { message: 'cat ../../etc/passwd' } });
    await request(3, 'tools/call', { name: 'echo', arguments: { message: 'harmless' } });
    await connection.close('test over');

    const errorOf = (id: number) =>
      (sent.find((message) => message.id === id) as { error?: { data?: { apex?: string } } }).error;
    expect(errorOf(2)?.data?.apex).toBe('SANDBOX_ESCAPE_ATTEMPT');
    expect(errorOf(3)?.data?.apex).toBe('AGENT_SUSPENDED');

    const events: RecordedEvent[] = [];
    for await (const event of store.readAll()) events.push(event);
    const incident = events.find((event) => event.type === 'SecurityIncidentReported');
    expect(incident?.stream).toBe('security-mallory');
    const ledger = events.filter((event) => event.stream === 'agent-mallory').map((event) => event.type);
    expect(ledger).toEqual([
      'AgentRegistered',
      'FundsCredited',
      'FundsReserved',
      'ReservationReleased',
      'AgentSuspended',
    ]);
    const suspension = events.find((event) => event.type === 'AgentSuspended');
    expect(suspension?.data).toMatchObject({ reason: 'sandbox_escape' });
    await context.close();
    await store.close();
  });
});
