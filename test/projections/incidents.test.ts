import { describe, expect, it } from 'vitest';
import { agentAccount, SYSTEM_BANK_ACCOUNT } from '../../src/domain/ledger/accounts.js';
import { apx } from '../../src/domain/money.js';
import { evaluateAsOf } from '../../src/projections/as-of.js';
import { incidentCounts, incidentsProjection } from '../../src/projections/incidents.js';
import { foldRecorded } from '../../src/projections/projection.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { recordedLog } from './support/recorded-log.js';

const BOB = agentAccount('bob');

/** Bob's bad day: a PIP, a timed-out request and its penalty, a suspension, a security incident, then recovery. */
const badDay = () => {
  const log = recordedLog();
  log.record('session-1', { type: 'SessionStarted', data: { transport: 'stdio', agent: 'bob' } });
  log.record('session-1', { type: 'RequestReceived', data: { requestId: 7, method: 'tools/call' } });
  log.record(BOB, { type: 'PipInitiated', data: { reason: 'balance fell below zero', balance: apx('-0.5') } });
  log.record('session-1', { type: 'RequestTimedOut', data: { requestId: 7, ttlMs: 1000, ageMs: 1012 } });
  log.record(BOB, {
    type: 'PenaltyApplied',
    data: {
      reason: 'request timed out after 1000 ms',
      amount: apx('5'),
      correlationId: 's1:7',
      from: BOB,
      to: SYSTEM_BANK_ACCOUNT,
    },
  });
  log.record(BOB, { type: 'AgentSuspended', data: { reason: 'bankrupt', detail: 'balance -5.5 below -2' } });
  log.record('security-bob', {
    type: 'SecurityIncidentReported',
    data: { kind: 'sandbox_escape_attempt', detail: 'tried ../../etc', correlationId: 's1:8' },
  });
  log.record(BOB, {
    type: 'FundsCredited',
    data: { amount: apx('10'), reason: 'top-up', from: SYSTEM_BANK_ACCOUNT, to: BOB },
  });
  log.record(BOB, { type: 'PipCompleted', data: { balance: apx('4.5') } });
  log.record(BOB, { type: 'AgentReinstated', data: { reason: 'reviewed' } });
  return log;
};

async function* asAsync(events: readonly RecordedEvent[]): AsyncIterable<RecordedEvent> {
  yield* events;
}

describe('the incidents projection', () => {
  it('lists PIPs, timeouts, penalties, suspensions, security incidents and reinstatements in log order', () => {
    const state = foldRecorded(incidentsProjection, badDay().events);
    expect(state.incidents.map(({ position, kind, agent }) => [position, kind, agent])).toEqual([
      [2n, 'pip_initiated', 'bob'],
      [3n, 'request_timed_out', 'bob'],
      [4n, 'penalty_applied', 'bob'],
      [5n, 'agent_suspended', 'bob'],
      [6n, 'security_incident', 'bob'],
      [8n, 'pip_completed', 'bob'],
      [9n, 'agent_reinstated', 'bob'],
    ]);
    expect(state.incidents[0]).toMatchObject({ balance: apx('-0.5'), amount: undefined });
    expect(state.incidents[1]?.detail).toBe('request 7 given up after 1012 ms (TTL 1000 ms)');
    expect(state.incidents[2]).toMatchObject({ amount: apx('5'), correlationId: 's1:7' });
    expect(state.incidents[3]?.detail).toBe('bankrupt: balance -5.5 below -2');
    expect(state.incidents[4]).toMatchObject({
      correlationId: 's1:8',
      detail: 'sandbox_escape_attempt: tried ../../etc',
    });
    expect(state.incidents[5]).toMatchObject({ balance: apx('4.5') });
    expect(incidentCounts(state)).toEqual({
      pip_initiated: 1,
      pip_completed: 1,
      agent_suspended: 1,
      agent_reinstated: 1,
      request_timed_out: 1,
      penalty_applied: 1,
      security_incident: 1,
    });
  });

  it('names the agent of a timed-out request from its session when the metadata does not', () => {
    const log = recordedLog();
    log.record('session-9', { type: 'SessionStarted', data: { transport: 'stdio', agent: 'carol' } });
    log.record('session-9', { type: 'RequestTimedOut', data: { requestId: 'x', ttlMs: 10, ageMs: 11 } });
    log.record('session-9', { type: 'SessionEnded', data: { reason: 'stdin closed' } });
    log.record('session-9', { type: 'RequestTimedOut', data: { requestId: 'y', ttlMs: 10, ageMs: 11 } });
    log.record(
      'session-8',
      { type: 'RequestTimedOut', data: { requestId: 'z', ttlMs: 10, ageMs: 11 } },
      { agent: 'dan' },
    );
    expect(foldRecorded(incidentsProjection, log.events).incidents.map((incident) => incident.agent)).toEqual([
      'carol',
      undefined,
      'dan',
    ]);
  });

  it('ignores every other event, and its state survives a checkpoint round trip', () => {
    const log = badDay();
    log.record(BOB, {
      type: 'FundsReserved',
      data: { reservationId: 'r', tool: 'echo', amount: apx('1'), correlationId: 'c' },
    });
    log.recordForeign(BOB, 'SomethingNew', { anything: true });
    const state = foldRecorded(incidentsProjection, log.events);
    expect(state.incidents).toHaveLength(7);
    expect(incidentsProjection.deserialize(incidentsProjection.serialize(state))).toEqual(state);
    // Pure: evolve leaves the state it was given as it was.
    const before = incidentsProjection.serialize(state);
    incidentsProjection.evolve(state, log.events[2]!);
    expect(incidentsProjection.serialize(state)).toBe(before);
  });

  it('as of a position, shows only what had happened by then', async () => {
    const state = await evaluateAsOf(incidentsProjection, asAsync(badDay().events), { position: 4n });
    expect(state.incidents.map((incident) => incident.kind)).toEqual([
      'pip_initiated',
      'request_timed_out',
      'penalty_applied',
    ]);
  });
});
