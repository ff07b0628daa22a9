import { describe, expect, it } from 'vitest';
import { REQUEST_TTL_MS } from '../../src/domain/session/request-lifetime.js';
import { foldRecorded } from '../../src/projections/projection.js';
import {
  activeRequests,
  expiredRequests,
  RECENT_TIMEOUTS_KEPT,
  requestRegistryProjection,
} from '../../src/projections/request-registry.js';
import { recordedLog, START_TIME_MS } from './support/recorded-log.js';

const S1 = 'session-1';
const S2 = 'session-2';

const twoSessions = () => {
  const log = recordedLog();
  log.record(S1, { type: 'SessionStarted', data: { transport: 'stdio', agent: 'alice' } }, { atMs: START_TIME_MS });
  log.record(S2, { type: 'SessionStarted', data: { transport: 'http', agent: 'bob' } }, { atMs: START_TIME_MS });
  log.record(S1, { type: 'RequestReceived', data: { requestId: 1, method: 'tools/call' } }, { atMs: START_TIME_MS });
  log.record(
    S2,
    { type: 'RequestReceived', data: { requestId: 1, method: 'tools/list' } },
    { atMs: START_TIME_MS + 30_000 },
  );
  log.record(
    S1,
    { type: 'RequestReceived', data: { requestId: '1', method: 'ping' } },
    { atMs: START_TIME_MS + 40_000 },
  );
  return log;
};

describe('the request registry projection', () => {
  it('lists the active requests of every session, with the agent of their session', () => {
    const state = foldRecorded(requestRegistryProjection, twoSessions().events);
    expect(
      activeRequests(state).map(({ session, requestId, method, agent }) => ({ session, requestId, method, agent })),
    ).toEqual([
      { session: S1, requestId: 1, method: 'tools/call', agent: 'alice' },
      { session: S2, requestId: 1, method: 'tools/list', agent: 'bob' },
      { session: S1, requestId: '1', method: 'ping', agent: 'alice' },
    ]);
    expect(activeRequests(state)[0]?.receivedAt).toBe(new Date(START_TIME_MS).toISOString());
  });

  it('drops requests once they complete, fail or are cancelled', () => {
    const log = twoSessions();
    log.record(S1, { type: 'RequestCompleted', data: { requestId: 1, durationMs: 5 } });
    log.record(S2, { type: 'RequestFailed', data: { requestId: 1, code: -32601, message: 'no', durationMs: 1 } });
    log.record(S1, { type: 'RequestCancelled', data: { requestId: '1', reason: 'client' } });
    expect(activeRequests(foldRecorded(requestRegistryProjection, log.events))).toEqual([]);
  });

  it('lists requests older than the TTL, oldest first, and only those (age > TTL)', () => {
    const state = foldRecorded(requestRegistryProjection, twoSessions().events);
    const ids = (now: number) =>
      expiredRequests(state, new Date(now), REQUEST_TTL_MS).map((request) => [request.session, request.requestId]);
    expect(ids(START_TIME_MS + REQUEST_TTL_MS)).toEqual([]);
    expect(ids(START_TIME_MS + REQUEST_TTL_MS + 1)).toEqual([[S1, 1]]);
    expect(ids(START_TIME_MS + REQUEST_TTL_MS + 40_001)).toEqual([
      [S1, 1],
      [S2, 1],
      [S1, '1'],
    ]);
  });

  it('moves a timed-out request to the recent time-outs, keeping only the latest ones', () => {
    const log = recordedLog();
    log.record(S1, { type: 'SessionStarted', data: { transport: 'stdio', agent: 'alice' } });
    for (let id = 0; id < RECENT_TIMEOUTS_KEPT + 5; id++) {
      log.record(S1, { type: 'RequestReceived', data: { requestId: id, method: 'tools/call' } });
      log.record(S1, { type: 'RequestTimedOut', data: { requestId: id, ttlMs: 60_000, ageMs: 60_001 } });
    }
    const state = foldRecorded(requestRegistryProjection, log.events);
    expect(state.active.size).toBe(0);
    expect(state.recentlyTimedOut).toHaveLength(RECENT_TIMEOUTS_KEPT);
    expect(state.recentlyTimedOut[0]).toMatchObject({
      requestId: 5,
      method: 'tools/call',
      agent: 'alice',
      ageMs: 60_001,
    });
    expect(state.recentlyTimedOut.at(-1)?.requestId).toBe(RECENT_TIMEOUTS_KEPT + 4);
  });

  it('forgets a session when it ends', () => {
    const log = twoSessions();
    log.record(S1, { type: 'SessionEnded', data: { reason: 'eof' } });
    const state = foldRecorded(requestRegistryProjection, log.events);
    expect(activeRequests(state).map((request) => request.session)).toEqual([S2]);
    expect([...state.sessionAgents.keys()]).toEqual([S2]);
  });

  it('prefers the agent named in an event’s metadata', () => {
    const log = recordedLog();
    log.record(S1, { type: 'RequestReceived', data: { requestId: 1, method: 'ping' } }, { agent: 'carol' });
    expect(activeRequests(foldRecorded(requestRegistryProjection, log.events))[0]?.agent).toBe('carol');
  });
});
