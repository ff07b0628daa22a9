import { createHmac } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsumedRequestStates } from '../../src/server/mrtr/consumed-states.js';
import { recordRequestStateConsumed, requestStateStreamOf } from '../../src/server/mrtr/consumption-log.js';
import {
  canonicalJson,
  MAX_REQUEST_STATE_LENGTH,
  newRequestStateNonce,
  REQUEST_STATE_TTL_MS,
  type RequestStateExpectation,
  type RequestStateGrant,
  type RequestStateRefusalReason,
  RequestStateSecret,
  requestParamsDigest,
  requestStateKeyFrom,
  requestStateRefused,
  signRequestState,
  type VerifiedRequestState,
  verifyRequestState,
} from '../../src/server/mrtr/request-state.js';
import { InputRequired, MultiRoundCalls, type RoundRequest } from '../../src/server/tools/multi-round.js';
import type { EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { InvalidStreamName, isValidId } from '../../src/store/stream-name.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('mrtr-request-state');

const key = requestStateKeyFrom('a test secret that is long enough to be used');
const otherKey = requestStateKeyFrom('another secret, also long enough to be used');
const T0 = Date.UTC(2026, 7, 1, 12, 0, 0);

const params = { _meta: { progressToken: 1 }, name: 'book_flight', arguments: { from: 'AMS', to: 'LIS' } };
const digest = requestParamsDigest('tools/call', params);

const grant: RequestStateGrant = {
  agent: 'alice',
  method: 'tools/call',
  paramsDigest: digest,
  correlationId: 'session-1:7',
  round: 1,
  payload: { step: 1, answers: { seat: '12A' } },
  now: T0,
  nonce: 'nonce-1',
};
const expectation: RequestStateExpectation = {
  agent: 'alice',
  method: 'tools/call',
  paramsDigest: digest,
  now: T0 + 1_000,
};

const state = signRequestState(key, grant);

const verified = (result: E.Either<unknown, VerifiedRequestState>): VerifiedRequestState => {
  if (E.isLeft(result)) throw new Error(`expected a verified state, got ${JSON.stringify(result.left)}`);
  return result.right;
};
const reasonOf = (result: E.Either<{ reason: RequestStateRefusalReason }, unknown>) =>
  E.isLeft(result) ? result.left.reason : 'verified';

const [format, body, signature] = state.split('.') as [string, string, string];
const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
const withClaims = (changes: Record<string, unknown>): string =>
  `${format}.${Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url')}.${signature}`;
const flipLast = (text: string): string => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`;

describe('signRequestState / verifyRequestState', () => {
  it('gives back the payload, round, nonce and call it was issued with', () => {
    expect(verified(verifyRequestState(key, state, expectation))).toEqual({
      payload: { step: 1, answers: { seat: '12A' } },
      round: 1,
      nonce: 'nonce-1',
      correlationId: 'session-1:7',
      issuedAt: T0,
      expiresAt: T0 + REQUEST_STATE_TTL_MS,
    });
  });

  it('is three URL-safe parts, so it survives any JSON string or header unchanged', () => {
    expect(state).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('makes a different state every time (fresh nonce), so each round is told apart', () => {
    const { nonce: _fixed, ...withoutNonce } = grant;
    const first = signRequestState(key, withoutNonce);
    const second = signRequestState(key, { ...withoutNonce, round: 2 });
    expect(first).not.toBe(second);
    expect(verified(verifyRequestState(key, first, expectation)).nonce).not.toBe(
      verified(verifyRequestState(key, second, expectation)).nonce,
    );
    expect(verified(verifyRequestState(key, second, expectation)).round).toBe(2);
  });

  it.each<[string, unknown]>([
    ['the conformance suite’s tampering (a suffix)', `${state}-TAMPERED`],
    ['the last character of the signature', flipLast(state)],
    ['a signature cut short', state.slice(0, -2)],
    [
      'the body with the signature of another state',
      `${format}.${signRequestState(key, { ...grant, round: 9 }).split('.')[1]}.${signature}`,
    ],
    ['a state signed with another key', signRequestState(otherKey, grant)],
    ['the body, one character changed', `${format}.${flipLast(body)}.${signature}`],
  ])('refuses %s as bad_signature', (_label, tampered) => {
    expect(reasonOf(verifyRequestState(key, tampered, expectation))).toBe('bad_signature');
  });

  it.each([
    ['agent', 'mallory'],
    ['method', 'prompts/get'],
    ['paramsDigest', requestParamsDigest('tools/call', { name: 'book_flight', arguments: { to: 'NRT' } })],
    ['correlationId', 'session-2:1'],
    ['round', 5],
    ['nonce', 'nonce-2'],
    ['issuedAt', T0 + 1],
    ['expiresAt', T0 + 365 * 86_400_000],
    ['payload', { step: 99, answers: {} }],
  ])('refuses a state whose %s was rewritten, the signature kept', (field, value) => {
    expect(reasonOf(verifyRequestState(key, withClaims({ [field]: value }), expectation))).toBe('bad_signature');
  });

  it.each<[string, unknown]>([
    ['a number', 42],
    ['null', null],
    ['an object', { state }],
    ['an empty string', ''],
    ['two parts', `${format}.${body}`],
    ['four parts', `${state}.x`],
    ['another format version', `v2.${body}.${signature}`],
    ['characters outside base64url', `${format}.${body}+/.${signature}`],
    ['a string over the size limit', `v1.${'A'.repeat(MAX_REQUEST_STATE_LENGTH)}.${signature}`],
  ])('refuses %s as malformed', (_label, garbage) => {
    expect(reasonOf(verifyRequestState(key, garbage, expectation))).toBe('malformed');
  });

  it('refuses a correctly signed body it cannot read as malformed', () => {
    for (const text of ['not json', JSON.stringify({ agent: 'alice' })]) {
      const signed = `v1.${Buffer.from(text).toString('base64url')}`;
      const forged = `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
      expect(reasonOf(verifyRequestState(key, forged, expectation))).toBe('malformed');
    }
  });

  it('refuses another agent', () => {
    expect(reasonOf(verifyRequestState(key, state, { ...expectation, agent: 'bob' }))).toBe('wrong_agent');
  });

  it.each([
    ['another method', { method: 'prompts/get' }],
    ['other arguments', { paramsDigest: requestParamsDigest('tools/call', { name: 'book_flight', arguments: {} }) }],
    ['another tool', { paramsDigest: requestParamsDigest('tools/call', { ...params, name: 'cancel_flight' }) }],
  ])('refuses %s as wrong_request', (_label, change) => {
    expect(reasonOf(verifyRequestState(key, state, { ...expectation, ...change }))).toBe('wrong_request');
  });

  it('holds until its expiry, not at it', () => {
    const expiresAt = T0 + REQUEST_STATE_TTL_MS;
    expect(reasonOf(verifyRequestState(key, state, { ...expectation, now: expiresAt - 1 }))).toBe('verified');
    expect(reasonOf(verifyRequestState(key, state, { ...expectation, now: expiresAt }))).toBe('expired');
    const short = signRequestState(key, { ...grant, ttlMs: 5_000 });
    expect(reasonOf(verifyRequestState(key, short, { ...expectation, now: T0 + 5_000 }))).toBe('expired');
  });

  it('names the agent before the expiry (an auditor learns more from it)', () => {
    const late = { ...expectation, agent: 'bob', now: T0 + 2 * REQUEST_STATE_TTL_MS };
    expect(reasonOf(verifyRequestState(key, state, late))).toBe('wrong_agent');
  });

  it('tells the client how to recover, and maps to -32602 with the reason', () => {
    const result = verifyRequestState(key, `${state}-TAMPERED`, expectation);
    if (E.isRight(result)) throw new Error('expected a refusal');
    expect(result.left.message).toContain('without requestState');
    expect(requestStateRefused(result.left)).toMatchObject({
      code: -32602,
      data: { path: 'params.requestState', reason: 'bad_signature' },
    });
  });
});

describe('requestParamsDigest', () => {
  it('ignores key order, _meta, inputResponses and requestState', () => {
    const retry = {
      arguments: { to: 'LIS', from: 'AMS' },
      requestState: state,
      inputResponses: { seat: { action: 'accept', content: { seat: '12A' } } },
      name: 'book_flight',
      _meta: { progressToken: 2, 'io.modelcontextprotocol/protocolVersion': '2026-07-28' },
    };
    expect(requestParamsDigest('tools/call', retry)).toBe(digest);
  });

  it('treats absent arguments as empty ones', () => {
    expect(requestParamsDigest('tools/call', { name: 'x' })).toBe(
      requestParamsDigest('tools/call', { name: 'x', arguments: {} }),
    );
  });

  it('tells apart what the request asks for', () => {
    expect(requestParamsDigest('resources/read', { uri: 'test://a' })).not.toBe(
      requestParamsDigest('resources/read', { uri: 'test://b' }),
    );
    expect(requestParamsDigest('prompts/get', { name: 'p', arguments: { a: '1' } })).not.toBe(
      requestParamsDigest('prompts/get', { name: 'p', arguments: { a: '2' } }),
    );
    expect(requestParamsDigest('tasks/get', { taskId: 'a', _meta: {} })).not.toBe(
      requestParamsDigest('tasks/get', { taskId: 'b' }),
    );
  });

  it('is a SHA-256 in hex', () => {
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson([undefined, 'x', null])).toBe('[null,"x",null]');
    expect(canonicalJson('é"')).toBe('"é\\""');
  });
});

describe('requestStateKeyFrom', () => {
  it('derives the same 32-byte key from the same secret, and not the secret itself', () => {
    const secret = 'a test secret that is long enough to be used';
    expect(requestStateKeyFrom(secret)).toEqual(key);
    expect(key).toHaveLength(32);
    expect(key.equals(Buffer.from(secret).subarray(0, 32))).toBe(false);
    expect(key.equals(otherKey)).toBe(false);
  });

  it('makes a random key per call when no secret is configured', () => {
    const first = requestStateKeyFrom(undefined);
    expect(first).toHaveLength(32);
    expect(first.equals(requestStateKeyFrom(undefined))).toBe(false);
    // A state from "before the restart" is then refused.
    expect(
      reasonOf(verifyRequestState(requestStateKeyFrom(undefined), signRequestState(first, grant), expectation)),
    ).toBe('bad_signature');
  });

  it('has a config codec that refuses a short secret', () => {
    expect(E.isRight(RequestStateSecret.decode('x'.repeat(32)))).toBe(true);
    expect(E.isLeft(RequestStateSecret.decode('short'))).toBe(true);
  });
});

describe('ConsumedRequestStates', () => {
  const stateWith = (nonce: string, expiresAt: number): VerifiedRequestState => ({
    payload: null,
    round: 1,
    nonce,
    correlationId: 'c',
    issuedAt: 0,
    expiresAt,
  });

  it('accepts a state once and refuses its replay', () => {
    const consumed = new ConsumedRequestStates();
    expect(consumed.consume(stateWith('n1', 10_000), 0)).toBe(true);
    expect(consumed.consume(stateWith('n1', 10_000), 1)).toBe(false);
    expect(consumed.consume(stateWith('n2', 10_000), 2)).toBe(true);
  });

  it('forgets nonces once their states have expired', () => {
    const consumed = new ConsumedRequestStates();
    consumed.consume(stateWith('old', 1_000), 0);
    consumed.consume(stateWith('young', 500_000), 0);
    consumed.consume(stateWith('new', 900_000), 120_000);
    expect(consumed.size).toBe(2);
  });
});

/** Two handles on one SQLite file: what two APEX processes on one store see. */
const twoHandlesOnOneFile = (): [EventStore, EventStore] => {
  const path = temp.file();
  return [openSqliteStore({ path }), openSqliteStore({ path })];
};

const readAll = async (store: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
};

describe('newRequestStateNonce', () => {
  it('is 32 hex digits, so it names a valid stream', () => {
    const nonce = newRequestStateNonce();
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(isValidId(nonce)).toBe(true);
  });
});

describe('recordRequestStateConsumed (RequestStateConsumed in requeststate-<nonce>)', () => {
  const stores: EventStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  const used = verified(verifyRequestState(key, state, expectation));
  const request = { agent: 'alice', method: 'tools/call', correlationId: 'session-2:"retry"', now: T0 + 1_000 };

  it('lets exactly one writer record a state, whichever handle on the store it uses', async () => {
    const [first, second] = twoHandlesOnOneFile();
    stores.push(first, second);
    const outcomes = await Promise.all([
      recordRequestStateConsumed(first, used, request),
      recordRequestStateConsumed(second, used, request),
    ]);
    expect(outcomes.sort()).toEqual([false, true]);
    expect(await recordRequestStateConsumed(first, used, request)).toBe(false);
    const events = await readAll(second);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      stream: 'requeststate-nonce-1',
      revision: 0n,
      type: 'RequestStateConsumed',
      schemaVersion: 1,
      data: {
        nonce: 'nonce-1',
        agent: 'alice',
        method: 'tools/call',
        call: 'session-1:7',
        round: 1,
        expiresAt: new Date(T0 + REQUEST_STATE_TTL_MS).toISOString(),
      },
      metadata: { agent: 'alice', correlationId: 'session-2:"retry"', timestamp: new Date(T0 + 1_000).toISOString() },
    });
  });

  it('names the stream only from a valid id', () => {
    expect(requestStateStreamOf('0123abcd')).toBe('requeststate-0123abcd');
    expect(() => requestStateStreamOf('../agent-bob')).toThrow(InvalidStreamName);
    expect(() => requestStateStreamOf('-x')).toThrow(InvalidStreamName);
  });
});

describe('MultiRoundCalls.openRound: two processes, one key, one store', () => {
  const stores: EventStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  const params = { name: 'ask_model', arguments: { prompt: 'six times seven?' } };
  const answer = { role: 'assistant', content: { type: 'text', text: '42' } };
  const roundRequest = (correlationId: string, extra: Record<string, unknown> = {}): RoundRequest => ({
    agent: 'alice',
    correlationId,
    params: { ...params, ...extra },
    clientCapabilities: { sampling: {} },
    now: Date.now(),
  });

  /** The state the first round of a call hands out when its tool asks for sampling. */
  const firstRoundState = async (calls: MultiRoundCalls, correlationId: string): Promise<string> => {
    const opened = await calls.openRound(roundRequest(correlationId));
    if (E.isLeft(opened)) throw new Error(opened.left.message);
    const asked = await opened.right.requestFromClient('sampling/createMessage', { maxTokens: 1 }).catch((e) => e);
    if (!(asked instanceof InputRequired)) throw new Error('expected the question to end the round');
    return opened.right.inputRequired(asked).requestState as string;
  };

  const retry = (state: string) => ({ requestState: state, inputResponses: { 'input-1': answer } });

  it('continues on B a call A started, then refuses the same state on A and on B', async () => {
    const [storeA, storeB] = twoHandlesOnOneFile();
    stores.push(storeA, storeB);
    const a = new MultiRoundCalls(key, storeA);
    const b = new MultiRoundCalls(key, storeB);
    const state = await firstRoundState(a, 'session-a:1');

    const onB = await b.openRound(roundRequest('session-b:1', retry(state)));
    if (E.isLeft(onB)) throw new Error(onB.left.message);
    expect({ call: onB.right.call, number: onB.right.number, provided: onB.right.provided }).toEqual({
      call: 'session-a:1',
      number: 2,
      provided: ['input-1'],
    });
    expect(await onB.right.requestFromClient('sampling/createMessage', { maxTokens: 1 })).toEqual({
      ok: true,
      result: answer,
    });

    for (const [calls, correlationId] of [
      [a, 'session-a:2'],
      [b, 'session-b:2'],
    ] as const) {
      const replayed = await calls.openRound(roundRequest(correlationId, retry(state)));
      expect(E.isLeft(replayed) && replayed.left).toMatchObject({
        code: -32602,
        message: expect.stringContaining('already used'),
        data: { path: 'params.requestState', reason: 'wrong_request' },
      });
    }
    const consumed = (await readAll(storeA)).filter((event) => event.type === 'RequestStateConsumed');
    expect(consumed.map((event) => event.metadata.correlationId)).toEqual(['session-b:1']);
  });

  it('records nothing for a first round, nor for a state it refuses unverified', async () => {
    const [store] = twoHandlesOnOneFile();
    stores.push(store);
    const calls = new MultiRoundCalls(key, store);
    const state = await firstRoundState(calls, 'session-c:1');
    const tampered = await calls.openRound(roundRequest('session-c:2', retry(`${state}-TAMPERED`)));
    expect(E.isLeft(tampered) && tampered.left.data).toMatchObject({ reason: 'bad_signature' });
    expect(await readAll(store)).toEqual([]);
  });

  it('forgets its own mark when the store fails, so the retry is judged by the store', async () => {
    const [store] = twoHandlesOnOneFile();
    stores.push(store);
    let failNext = true;
    // The real store, whose next append fails as an engine failure would (a rejected promise).
    const failingOnce: EventStore = {
      append: (...args) => {
        if (!failNext) return store.append(...args);
        failNext = false;
        return Promise.reject(new Error('disk unplugged'));
      },
      readStream: (...args) => store.readStream(...args),
      readAll: (...args) => store.readAll(...args),
      subscribeAll: (...args) => store.subscribeAll(...args),
      streamHeads: () => store.streamHeads(),
      headPosition: () => store.headPosition(),
      close: () => store.close(),
    };
    const calls = new MultiRoundCalls(key, failingOnce);
    const state = await firstRoundState(calls, 'session-d:1');
    await expect(calls.openRound(roundRequest('session-d:2', retry(state)))).rejects.toThrow('disk unplugged');
    expect(E.isRight(await calls.openRound(roundRequest('session-d:3', retry(state))))).toBe(true);
    const again = await calls.openRound(roundRequest('session-d:4', retry(state)));
    expect(E.isLeft(again)).toBe(true);
  });
});
