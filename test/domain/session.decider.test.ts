import { describe, it } from 'vitest';
import { sessionDecider } from '../../src/domain/session/decider.js';
import type { SessionEvent } from '../../src/domain/session/events.js';
import { deciderSpec } from './support/decider-spec.js';

const given = deciderSpec(sessionDecider);

const started: SessionEvent = {
  type: 'SessionStarted',
  data: { transport: 'stdio', agent: 'alice', protocolVersion: '2025-11-25', clientInfo: { name: 'c', version: '1' } },
};
const received = (requestId: string | number, method = 'tools/call'): SessionEvent => ({
  type: 'RequestReceived',
  data: { requestId, method },
});
const completed = (requestId: string | number): SessionEvent => ({
  type: 'RequestCompleted',
  data: { requestId, durationMs: 3 },
});
const toolRequested = (requestId: string | number, tool = 'search'): SessionEvent => ({
  type: 'ToolCallRequested',
  data: { requestId, tool },
});

describe('StartSession', () => {
  it('starts a session, recording only the fields given', () =>
    given([])
      .when({ type: 'StartSession', data: { transport: 'stdio', agent: 'alice', protocolVersion: undefined } })
      .then([{ type: 'SessionStarted', data: { transport: 'stdio', agent: 'alice' } }]));
  it('refuses to start twice', () =>
    given([started])
      .when({ type: 'StartSession', data: { transport: 'stdio', agent: 'alice' } })
      .then({ code: 'SESSION_ALREADY_STARTED' }));
});

describe('ReceiveRequest', () => {
  it('records a request', () =>
    given([started])
      .when({ type: 'ReceiveRequest', data: { requestId: 1, method: 'tools/list', params: { cursor: 'a' } } })
      .then([{ type: 'RequestReceived', data: { requestId: 1, method: 'tools/list', params: { cursor: 'a' } } }]));
  it('refuses an id already in flight', () =>
    given([started, received(1)])
      .when({ type: 'ReceiveRequest', data: { requestId: 1, method: 'ping' } })
      .then({ code: 'DUPLICATE_REQUEST_ID' }));
  it('tells 1 and "1" apart', () =>
    given([started, received(1)])
      .when({ type: 'ReceiveRequest', data: { requestId: '1', method: 'ping' } })
      .then([received('1', 'ping')]));
  it('accepts an id again once its request has ended', () =>
    given([started, received(1), completed(1)])
      .when({ type: 'ReceiveRequest', data: { requestId: 1, method: 'ping' } })
      .then([received(1, 'ping')]));
  it('refuses requests before the session started', () =>
    given([])
      .when({ type: 'ReceiveRequest', data: { requestId: 1, method: 'ping' } })
      .then({ code: 'SESSION_NOT_STARTED' }));
  it('refuses requests after the session ended', () =>
    given([started, { type: 'SessionEnded', data: { reason: 'eof' } }])
      .when({ type: 'ReceiveRequest', data: { requestId: 1, method: 'ping' } })
      .then({ code: 'SESSION_ENDED' }));
});

describe('ending a request: exactly one terminal event', () => {
  it('completes an active request', () =>
    given([started, received(7)])
      .when({ type: 'CompleteRequest', data: { requestId: 7, durationMs: 3 } })
      .then([completed(7)]));
  it('fails an active request with its JSON-RPC code', () =>
    given([started, received(7)])
      .when({ type: 'FailRequest', data: { requestId: 7, code: -32001, message: 'Insufficient funds', durationMs: 2 } })
      .then([
        { type: 'RequestFailed', data: { requestId: 7, code: -32001, message: 'Insufficient funds', durationMs: 2 } },
      ]));
  it('times out an active request', () =>
    given([started, received(7)])
      .when({ type: 'TimeOutRequest', data: { requestId: 7, ttlMs: 60_000, ageMs: 60_004 } })
      .then([{ type: 'RequestTimedOut', data: { requestId: 7, ttlMs: 60_000, ageMs: 60_004 } }]));
  it('cancels an active request', () =>
    given([started, received(7)])
      .when({ type: 'CancelRequest', data: { requestId: 7, reason: 'client cancelled' } })
      .then([{ type: 'RequestCancelled', data: { requestId: 7, reason: 'client cancelled' } }]));
  it('refuses durations JSON could not record', () => {
    given([started, received(7)])
      .when({ type: 'CompleteRequest', data: { requestId: 7, durationMs: -1 } })
      .then({ code: 'INVALID_DURATION' });
    given([started, received(7)])
      .when({ type: 'TimeOutRequest', data: { requestId: 7, ttlMs: 60_000, ageMs: Number.NaN } })
      .then({ code: 'INVALID_DURATION' });
    given([started, received(7), toolRequested(7)])
      .when({
        type: 'RecordToolCallSuccess',
        data: { requestId: 7, tool: 'search', durationMs: Number.POSITIVE_INFINITY },
      })
      .then({ code: 'INVALID_DURATION' });
  });
  it('refuses to complete a request that timed out (a late completion)', () =>
    given([started, received(7), { type: 'RequestTimedOut', data: { requestId: 7, ttlMs: 1, ageMs: 2 } }])
      .when({ type: 'CompleteRequest', data: { requestId: 7, durationMs: 70_000 } })
      .then({ code: 'REQUEST_NOT_ACTIVE' }));
  it('refuses to time out a request that completed', () =>
    given([started, received(7), completed(7)])
      .when({ type: 'TimeOutRequest', data: { requestId: 7, ttlMs: 1, ageMs: 2 } })
      .then({ code: 'REQUEST_NOT_ACTIVE' }));
  it('refuses to cancel a request never received', () =>
    given([started])
      .when({ type: 'CancelRequest', data: { requestId: 'x', reason: 'r' } })
      .then({ code: 'REQUEST_NOT_ACTIVE' }));
});

describe('tool calls', () => {
  it('records the tool a request calls', () =>
    given([started, received(1)])
      .when({ type: 'RequestToolCall', data: { requestId: 1, tool: 'search', arguments: { q: 'x' } } })
      .then([{ type: 'ToolCallRequested', data: { requestId: 1, tool: 'search', arguments: { q: 'x' } } }]));
  it('refuses a second tool call on one request', () =>
    given([started, received(1), toolRequested(1)])
      .when({ type: 'RequestToolCall', data: { requestId: 1, tool: 'search' } })
      .then({ code: 'TOOL_CALL_ALREADY_REQUESTED' }));
  it('records a success', () =>
    given([started, received(1), toolRequested(1)])
      .when({ type: 'RecordToolCallSuccess', data: { requestId: 1, tool: 'search', durationMs: 12 } })
      .then([{ type: 'ToolCallSucceeded', data: { requestId: 1, tool: 'search', durationMs: 12 } }]));
  it('records a failure', () =>
    given([started, received(1), toolRequested(1)])
      .when({ type: 'RecordToolCallFailure', data: { requestId: 1, tool: 'search', durationMs: 12, error: 'boom' } })
      .then([{ type: 'ToolCallFailed', data: { requestId: 1, tool: 'search', durationMs: 12, error: 'boom' } }]));
  it('records a denial, even without a prior ToolCallRequested', () =>
    given([started, received(1)])
      .when({
        type: 'DenyToolCall',
        data: { requestId: 1, tool: 'shell', code: 'PERMISSION_DENIED', reason: 'no shell' },
      })
      .then([
        {
          type: 'ToolCallDenied',
          data: { requestId: 1, tool: 'shell', code: 'PERMISSION_DENIED', reason: 'no shell' },
        },
      ]));
  it('refuses a second outcome for one tool call', () =>
    given([
      started,
      received(1),
      toolRequested(1),
      { type: 'ToolCallSucceeded', data: { requestId: 1, tool: 'search', durationMs: 1 } },
    ])
      .when({ type: 'RecordToolCallFailure', data: { requestId: 1, tool: 'search', durationMs: 1, error: 'late' } })
      .then({ code: 'TOOL_CALL_ALREADY_SETTLED' }));
  it('refuses an outcome for another tool than the one requested', () =>
    given([started, received(1), toolRequested(1, 'search')])
      .when({ type: 'RecordToolCallSuccess', data: { requestId: 1, tool: 'shell', durationMs: 1 } })
      .then({ code: 'TOOL_MISMATCH' }));
  it('refuses an outcome for a request that is not active', () =>
    given([started, received(1), completed(1)])
      .when({ type: 'RecordToolCallSuccess', data: { requestId: 1, tool: 'search', durationMs: 1 } })
      .then({ code: 'REQUEST_NOT_ACTIVE' }));
});

describe('EndSession', () => {
  it('cancels every request still in flight, then ends the session', () =>
    given([started, received(1), received('a'), received(2), completed(2)])
      .when({ type: 'EndSession', data: { reason: 'stdin closed' } })
      .then([
        { type: 'RequestCancelled', data: { requestId: 1, reason: 'session ended: stdin closed' } },
        { type: 'RequestCancelled', data: { requestId: 'a', reason: 'session ended: stdin closed' } },
        { type: 'SessionEnded', data: { reason: 'stdin closed' } },
      ]));
});

describe('server-to-client requests on behalf of a request', () => {
  const sent: SessionEvent = {
    type: 'ClientRequestSent',
    data: { requestId: 1, clientRequestId: 's-1', method: 'sampling/createMessage' },
  };
  it('records a request sent to the client for an active request', () =>
    given([started, received(1)])
      .when({
        type: 'SendClientRequest',
        data: { requestId: 1, clientRequestId: 's-1', method: 'sampling/createMessage', params: undefined },
      })
      .then([sent]));
  it('refuses one for a request that is not active', () =>
    given([started, received(1), completed(1)])
      .when({ type: 'SendClientRequest', data: { requestId: 1, clientRequestId: 's-1', method: 'roots/list' } })
      .then({ code: 'REQUEST_NOT_ACTIVE' }));
  it('refuses an id that is still awaiting an answer', () =>
    given([started, received(1), sent])
      .when({ type: 'SendClientRequest', data: { requestId: 1, clientRequestId: 's-1', method: 'roots/list' } })
      .then({ code: 'DUPLICATE_CLIENT_REQUEST_ID' }));
  it("records the client's answer once", () =>
    given([started, received(1), sent])
      .when({ type: 'RecordClientAnswer', data: { requestId: 1, clientRequestId: 's-1', result: { ok: 1 } } })
      .then([{ type: 'ClientRequestAnswered', data: { requestId: 1, clientRequestId: 's-1', result: { ok: 1 } } }]));
  it('refuses a second outcome for the same client request', () =>
    given([
      started,
      received(1),
      sent,
      { type: 'ClientRequestAnswered', data: { requestId: 1, clientRequestId: 's-1' } },
    ])
      .when({
        type: 'RecordClientRequestFailure',
        data: { requestId: 1, clientRequestId: 's-1', outcome: 'timed_out', code: -32034, reason: 'late' },
      })
      .then({ code: 'CLIENT_REQUEST_NOT_PENDING' }));
  it('refuses an answer to a client request that was never sent', () =>
    given([started, received(1)])
      .when({ type: 'RecordClientAnswer', data: { requestId: 1, clientRequestId: 's-9' } })
      .then({ code: 'CLIENT_REQUEST_NOT_PENDING' }));
  it('records a failure (error, timeout or cancellation) with its code', () =>
    given([started, received(1), sent])
      .when({
        type: 'RecordClientRequestFailure',
        data: { requestId: 1, clientRequestId: 's-1', outcome: 'error', code: -1, reason: 'User rejected sampling' },
      })
      .then([
        {
          type: 'ClientRequestFailed',
          data: { requestId: 1, clientRequestId: 's-1', outcome: 'error', code: -1, reason: 'User rejected sampling' },
        },
      ]));
});
