import { describe, expect, it } from 'vitest';
import { agentAccount, SYSTEM_BANK_ACCOUNT } from '../../src/domain/ledger/accounts.js';
import { apx } from '../../src/domain/money.js';
import { foldRecorded } from '../../src/projections/projection.js';
import { agentToolStatsOf, toolStatsOf, toolUsageProjection } from '../../src/projections/tool-usage.js';
import { recordedLog } from './support/recorded-log.js';

describe('the tool usage projection', () => {
  it('counts calls, outcomes, spend and duration per tool and per agent', () => {
    const log = recordedLog();
    log.record('session-1', { type: 'SessionStarted', data: { transport: 'stdio', agent: 'alice' } });
    log.record('session-2', { type: 'SessionStarted', data: { transport: 'stdio', agent: 'bob' } });
    log.record('session-1', { type: 'ToolCallSucceeded', data: { requestId: 1, tool: 'search', durationMs: 100 } });
    log.record('session-1', {
      type: 'ToolCallFailed',
      data: { requestId: 2, tool: 'search', durationMs: 50, error: 'x' },
    });
    log.record('session-2', {
      type: 'ToolCallDenied',
      data: { requestId: 1, tool: 'search', code: 'PERMISSION_DENIED', reason: 'no' },
    });
    log.record('session-2', { type: 'ToolCallSucceeded', data: { requestId: 2, tool: 'shell', durationMs: 7 } });
    log.record(agentAccount('alice'), {
      type: 'ToolCallCharged',
      data: {
        reservationId: 'r1',
        tool: 'search',
        amount: apx('1.5'),
        reservedAmount: apx('2'),
        durationMs: 100,
        correlationId: 'c',
        from: agentAccount('alice'),
        to: SYSTEM_BANK_ACCOUNT,
      },
    });

    const state = foldRecorded(toolUsageProjection, log.events);
    expect(toolStatsOf(state, 'search')).toEqual({
      calls: 3,
      successes: 1,
      failures: 1,
      denials: 1,
      spend: apx('1.5'),
      totalDurationMs: 150,
    });
    expect(agentToolStatsOf(state, 'alice', 'search')).toEqual({
      calls: 2,
      successes: 1,
      failures: 1,
      denials: 0,
      spend: apx('1.5'),
      totalDurationMs: 150,
    });
    expect(agentToolStatsOf(state, 'bob', 'search')).toMatchObject({ calls: 1, denials: 1, spend: 0n });
    expect(agentToolStatsOf(state, 'bob', 'shell')).toMatchObject({ calls: 1, successes: 1, totalDurationMs: 7 });
    expect(toolStatsOf(state, 'unknown')).toBeUndefined();
  });
});
