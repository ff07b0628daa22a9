import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionCommand } from '../../src/domain/session/commands.js';
import { ActiveRequests } from '../../src/server/active-requests.js';
import { ClientRequests } from '../../src/server/client-requests.js';
import type { OutgoingMessage } from '../../src/server/connection.js';

const SAMPLING = { sampling: {} };

const harness = () => {
  const sent: OutgoingMessage[] = [];
  const recorded: SessionCommand[] = [];
  const requests = new ClientRequests({
    send: (message) => sent.push(message),
    record: async (command) => {
      recorded.push(command);
    },
    redact: (payload) => payload,
    logger: pino({ level: 'silent' }),
  });
  const active = new ActiveRequests().add(7, 'tools/call', 'session:7');
  if (active === undefined) throw new Error('no active request');
  /** Waits until the request has gone out (it is sent once its ClientRequestSent is recorded). */
  const sentRequest = async () => {
    await vi.waitFor(() => expect(sent.some((message) => 'id' in message)).toBe(true));
    return sent.find((message) => 'id' in message) as { id: string; method: string };
  };
  return { sent, recorded, requests, active, sentRequest };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('ClientRequests (server-to-client requests of one connection)', () => {
  it('refuses at once, sending and recording nothing, when the client lacks the capability', async () => {
    const { sent, recorded, requests, active } = harness();
    const answer = await requests.request(active, { elicitation: {} }, 'sampling/createMessage', {}, 1000);
    expect(answer).toMatchObject({ ok: false, error: { message: expect.stringContaining('sampling capability') } });
    const urlMode = await requests.request(active, { elicitation: {} }, 'elicitation/create', { mode: 'url' }, 1000);
    expect(urlMode).toMatchObject({ ok: false, error: { message: expect.stringContaining('elicitation.url') } });
    expect([sent, recorded]).toEqual([[], []]);
  });

  it('records the request before sending it, and the answer before handing it over', async () => {
    const { sent, recorded, requests, active, sentRequest } = harness();
    const answer = requests.request(active, SAMPLING, 'sampling/createMessage', { maxTokens: 5 }, 60_000);
    const request = await sentRequest();
    expect(recorded.map((command) => command.type)).toEqual(['SendClientRequest']);
    expect(request).toMatchObject({ jsonrpc: '2.0', method: 'sampling/createMessage', params: { maxTokens: 5 } });
    expect(requests.settle({ id: request.id, result: { model: 'm' } })).toBe(true);
    expect(await answer).toEqual({ ok: true, result: { model: 'm' } });
    expect(recorded.map((command) => command.type)).toEqual(['SendClientRequest', 'RecordClientAnswer']);
    expect(recorded[1]?.data).toMatchObject({ requestId: 7, clientRequestId: request.id, result: { model: 'm' } });
    expect(sent).toHaveLength(1);
    expect(requests.size).toBe(0);
  });

  it("passes on the client's error, and treats a result that is not an object as one", async () => {
    const { recorded, requests, active, sentRequest } = harness();
    const refused = requests.request(active, SAMPLING, 'sampling/createMessage', {}, 60_000);
    const first = await sentRequest();
    requests.settle({ id: first.id, error: { code: -1, message: 'User rejected sampling request' } });
    expect(await refused).toEqual({ ok: false, error: { code: -1, message: 'User rejected sampling request' } });
    expect(recorded[1]).toMatchObject({ type: 'RecordClientRequestFailure', data: { outcome: 'error', code: -1 } });
  });

  it('gives up after the deadline: tells the client, records timed_out, and ignores a late answer', async () => {
    vi.useFakeTimers();
    const { sent, recorded, requests, active, sentRequest } = harness();
    const answer = requests.request(active, SAMPLING, 'sampling/createMessage', {}, 5_000);
    const request = await sentRequest();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await answer).toMatchObject({ ok: false, error: { code: -32034 } });
    expect(sent[1]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: request.id, reason: 'no answer within 5000 ms' },
    });
    expect(recorded[1]).toMatchObject({ type: 'RecordClientRequestFailure', data: { outcome: 'timed_out' } });
    expect(requests.settle({ id: request.id, result: {} })).toBe(false);
    expect(recorded).toHaveLength(2);
  });

  it('cancels with the call it serves', async () => {
    const { sent, recorded, requests, active, sentRequest } = harness();
    const answer = requests.request(active, SAMPLING, 'sampling/createMessage', {}, 60_000);
    const request = await sentRequest();
    active.abandon({ kind: 'cancelled', reason: 'user pressed stop' });
    expect(await answer).toMatchObject({ ok: false });
    expect(sent[1]).toMatchObject({ method: 'notifications/cancelled', params: { requestId: request.id } });
    expect(recorded[1]).toMatchObject({ type: 'RecordClientRequestFailure', data: { outcome: 'cancelled' } });
  });

  it('matches answers by id only: an unknown or numeric id is not taken', async () => {
    const { requests } = harness();
    expect(requests.settle({ id: 1, result: {} })).toBe(false);
    expect(requests.settle({ id: null, error: { code: 1, message: 'x' } })).toBe(false);
    expect(requests.settle({ id: 'apex-0-1', result: {} })).toBe(false);
  });
});
