/**
 * Multi round-trip states (MCP 2026-07-28) across APEX processes: `apex serve --http` processes on
 * ONE SQLite file, with one configured requestState secret. A state issued by instance A continues
 * the call on instance B; replayed to A afterwards it is refused (-32602) and the refusal recorded;
 * sent to A and B at once, exactly one of them continues the call. A state issued before a restart
 * is accepted after it. Without a configured secret the server says so at start-up, and a state
 * does not survive a restart; a secret too short stops the start-up without printing it.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { readAllEvents, runApex, writeConfig } from '../support/apex-process.js';
import { type HttpApex, startHttpApex } from '../support/http-process.js';
import { modernMeta, postModern } from '../support/modern-http.js';
import type { WireMessage } from '../support/raw-stdio-peer.js';
import { correlationOfRequest, ledgerOfRequest } from '../support/recorded-requests.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-mrtr-instances');

const SECRET_ENV = 'APEX_TEST_REQUEST_STATE_SECRET';
const SECRET = randomBytes(32).toString('hex');

const BASE_CONFIG = {
  agents: { alice: { name: 'Alice', balance: '100', permissions: ['demo'] } },
  tools: { ask_model: { price: { perCall: '1', perSecond: '0' }, category: 'demo', permissions: ['demo'] } },
  toolsets: ['demo'],
};

const ASK = {
  name: 'ask_model',
  arguments: { prompt: 'six times seven?' },
  _meta: modernMeta('mrtr-instances', { sampling: {} }),
};
const MODEL_ANSWER = { role: 'assistant', content: { type: 'text', text: '42' }, model: 'test-model' };

type Result = { resultType?: string; requestState?: string; content?: unknown };

const stateOf = (answer: WireMessage): string => {
  const result = answer.result as Result | undefined;
  if (result?.resultType !== 'input_required' || result.requestState === undefined) {
    throw new Error(`expected input_required with a requestState, got ${JSON.stringify(answer)}`);
  }
  return result.requestState;
};

const retry = (state: string) => ({ ...ASK, requestState: state, inputResponses: { 'input-1': MODEL_ANSWER } });

/** The pid of the APEX process that served the request with this JSON-RPC id (its session's SessionStarted). */
const servedBy = (events: readonly RecordedEvent[], requestId: string): number | undefined => {
  const correlationId = correlationOfRequest(events, requestId);
  const session = correlationId?.slice(0, correlationId.lastIndexOf(':'));
  const started = events.find((event) => event.stream === `session-${session}` && event.type === 'SessionStarted');
  return (started?.data as { instance?: { pid?: number } } | undefined)?.instance?.pid;
};

const failureOf = (events: readonly RecordedEvent[], requestId: string) =>
  events.find(
    (event) => event.type === 'RequestFailed' && (event.data as { requestId: unknown }).requestId === requestId,
  )?.data;

const consumptions = (events: readonly RecordedEvent[]) =>
  events.filter((event) => event.type === 'RequestStateConsumed');

describe('two apex serve --http on one SQLite file, one configured secret (secretEnv)', () => {
  const store = temp.file();
  const instances: HttpApex[] = [];
  const seen: Record<string, WireMessage> = {};
  const pids: Record<'a' | 'b', number | undefined> = { a: undefined, b: undefined };
  let events: RecordedEvent[] = [];

  beforeAll(async () => {
    vi.stubEnv(SECRET_ENV, SECRET);
    const config = writeConfig(
      temp.dir,
      { ...BASE_CONFIG, requestState: { secretEnv: SECRET_ENV } },
      'instances.config.json',
    );
    // One after the other: the first registers the agent, the second finds it registered.
    const a = await startHttpApex({ config, store, extraArgs: ['--agent', 'alice'] });
    instances.push(a);
    const b = await startHttpApex({ config, store, extraArgs: ['--agent', 'alice'] });
    instances.push(b);
    pids.a = a.child.pid;
    pids.b = b.child.pid;

    seen.first = await postModern(a.url, 'first-on-a', 'tools/call', ASK);
    const state = stateOf(seen.first);
    seen.continued = await postModern(b.url, 'continued-on-b', 'tools/call', retry(state));
    seen.replayed = await postModern(a.url, 'replayed-to-a', 'tools/call', retry(state));

    // A second call whose state reaches both instances at the same moment.
    const raceState = stateOf(await postModern(a.url, 'race-first', 'tools/call', ASK));
    [seen.raceA, seen.raceB] = await Promise.all([
      postModern(a.url, 'race-on-a', 'tools/call', retry(raceState)),
      postModern(b.url, 'race-on-b', 'tools/call', retry(raceState)),
    ]);

    expect(await Promise.all(instances.splice(0).map((instance) => instance.stop()))).toEqual([0, 0]);
    events = await readAllEvents(store);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.stop()));
    vi.unstubAllEnvs();
  });

  it('continues on B the call A started: B verifies A’s state, answers, and charges the call once', () => {
    expect(seen.continued?.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: '42' }] });
    expect(servedBy(events, 'first-on-a')).toBe(pids.a);
    expect(servedBy(events, 'continued-on-b')).toBe(pids.b);
    const continued = events.find(
      (event) =>
        event.type === 'ToolCallRequested' && (event.data as { requestId: unknown }).requestId === 'continued-on-b',
    );
    expect(continued?.data).toMatchObject({
      continues: { call: correlationOfRequest(events, 'first-on-a'), round: 2 },
    });
    expect(ledgerOfRequest(events, 'first-on-a', 'alice')).toEqual(['FundsReserved', 'ReservationReleased']);
    expect(ledgerOfRequest(events, 'continued-on-b', 'alice')).toEqual(['FundsReserved', 'ToolCallCharged']);
  });

  it('records the use of the state once, in its own stream, with the request that used it', () => {
    const used = consumptions(events).filter(
      (event) => (event.data as { call: string }).call === correlationOfRequest(events, 'first-on-a'),
    );
    expect(used).toHaveLength(1);
    const [event] = used as [RecordedEvent];
    const { nonce } = event.data as { nonce: string };
    expect(event.stream).toBe(`requeststate-${nonce}`);
    expect(event.revision).toBe(0n);
    expect(event.data).toMatchObject({ agent: 'alice', method: 'tools/call', round: 1 });
    expect(Date.parse((event.data as { expiresAt: string }).expiresAt)).toBeGreaterThan(
      Date.parse(event.metadata.timestamp),
    );
    expect(event.metadata.correlationId).toBe(correlationOfRequest(events, 'continued-on-b'));
  });

  it('refuses the state replayed to A afterwards with -32602, records the refusal, and charges nothing', () => {
    expect(seen.replayed?.error).toMatchObject({
      code: -32602,
      data: { path: 'params.requestState' },
      message: expect.stringContaining('already used'),
    });
    expect(servedBy(events, 'replayed-to-a')).toBe(pids.a);
    expect(failureOf(events, 'replayed-to-a')).toMatchObject({ code: -32602 });
    expect(ledgerOfRequest(events, 'replayed-to-a', 'alice')).toEqual([]);
  });

  it('lets exactly one of A and B continue a call whose state reaches both at once', () => {
    const outcomes = [seen.raceA, seen.raceB].map((answer) =>
      answer?.error === undefined ? (answer?.result as Result | undefined)?.resultType : answer.error.code,
    );
    expect(outcomes.sort()).toEqual([-32602, 'complete']);
    const race = correlationOfRequest(events, 'race-first');
    expect(consumptions(events).filter((event) => (event.data as { call: string }).call === race)).toHaveLength(1);
    const charged = ['race-on-a', 'race-on-b'].filter((id) =>
      ledgerOfRequest(events, id, 'alice').includes('ToolCallCharged'),
    );
    expect(charged).toHaveLength(1);
  });

  it('leaves a log that apex verify and apex replay --rebuild accept', async () => {
    const verified = await runApex('verify', '--store', `sqlite:${store}`);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const rebuilt = await runApex('replay', '--rebuild', '--store', `sqlite:${store}`);
    expect(rebuilt.code, rebuilt.stdout + rebuilt.stderr).toBe(0);
  });
});

describe('a restart of apex serve --http', () => {
  let apex: HttpApex | undefined;
  afterAll(async () => {
    await apex?.stop();
  });

  /** Asks on one process, stops it, starts another on the same store and config, retries there. */
  const acrossRestart = async (config: string, store: string) => {
    apex = await startHttpApex({ config, store, extraArgs: ['--agent', 'alice'] });
    const before = apex;
    const state = stateOf(await postModern(before.url, 'before-restart', 'tools/call', ASK));
    expect(await before.stop()).toBe(0);
    apex = await startHttpApex({ config, store, extraArgs: ['--agent', 'alice'] });
    const after = await postModern(apex.url, 'after-restart', 'tools/call', retry(state));
    expect(await apex.stop()).toBe(0);
    return { before, after, events: await readAllEvents(store) };
  };

  it('accepts after the restart a state issued before it, with the secret in a file (secretFile)', async () => {
    writeFileSync(join(temp.dir, 'request-state.secret'), `${SECRET}\n`, { mode: 0o600 });
    const config = writeConfig(
      temp.dir,
      { ...BASE_CONFIG, requestState: { secretFile: 'request-state.secret' } },
      'restart-file.config.json',
    );
    const { before, after, events } = await acrossRestart(config, temp.file());
    expect(after.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: '42' }] });
    expect(consumptions(events)).toHaveLength(1);
    expect(before.stderr.join('')).not.toContain(SECRET);
    expect(before.stderr.join('')).not.toContain('no requestState secret configured');
  });

  it('without a configured secret: warns once at start-up, and refuses the state after the restart', async () => {
    const config = writeConfig(temp.dir, BASE_CONFIG, 'restart-none.config.json');
    const { before, after, events } = await acrossRestart(config, temp.file());
    expect(after.error).toMatchObject({ code: -32602, data: { reason: 'bad_signature' } });
    expect(failureOf(events, 'after-restart')).toMatchObject({ code: -32602 });
    const warnings = before.stderr
      .join('')
      .split('\n')
      .filter((line) => line.includes('no requestState secret configured'))
      .map((line) => JSON.parse(line) as { level: number });
    expect(warnings).toEqual([expect.objectContaining({ level: 40 })]);
  });
});

describe('a configured secret that cannot be used stops apex serve at start-up', () => {
  it.each([
    ['too short', { secretEnv: SECRET_ENV }, 'short-secret', 'requestState.secretEnv', 'too short'],
    [
      'in an unset variable',
      { secretEnv: 'APEX_TEST_UNSET_SECRET_VARIABLE' },
      undefined,
      'requestState.secretEnv',
      'not set',
    ],
    ['in a missing file', { secretFile: 'no-such.secret' }, undefined, 'requestState.secretFile', 'ENOENT'],
  ])('a secret %s: exit 2, the field named, the secret never printed', async (_case, section, value, field, says) => {
    if (value !== undefined) vi.stubEnv(SECRET_ENV, value);
    try {
      const config = writeConfig(temp.dir, { ...BASE_CONFIG, requestState: section }, 'bad-secret.config.json');
      const run = await runApex('serve', '--config', config, '--store', 'sqlite::memory:', '--http', '127.0.0.1:0');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(field);
      expect(run.stderr).toContain(says);
      if (value !== undefined) expect(run.stderr).not.toContain(value);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
