import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { closeAndWaitForExit, connectSdkClient, readAllEvents, writeConfig } from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-crash-recovery');

/** Polls the store until `condition` holds; the timeout only keeps a test that cannot pass from hanging. */
const untilStore = async (store: string, condition: (events: RecordedEvent[]) => boolean, what: string) => {
  const deadline = Date.now() + 120_000;
  while (!condition(await readAllEvents(store))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const CONFIG = {
  agents: { alice: { name: 'Alice', balance: '100', permissions: ['demo'] } },
  tools: { sleep: { price: { perCall: '5', perSecond: '0' }, category: 'demo', permissions: ['demo'] } },
  toolsets: ['demo'],
  // Long enough that no call here times out while the test runs.
  limits: { requestTtlMs: 3_600_000 },
};

type Connected = Awaited<ReturnType<typeof connectSdkClient>>;

/** Starts a long sleep on `connected`; resolves once it runs (its first progress arrived), with the pending call. */
const startLongSleep = async (connected: Connected): Promise<{ readonly call: Promise<unknown> }> => {
  let running: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    running = resolve;
  });
  const call = connected.client
    .callTool({ name: 'sleep', arguments: { ms: 600_000 } }, undefined, {
      onprogress: () => running(),
      timeout: 900_000,
    })
    .catch((error: unknown) => error);
  await started;
  // Wrapped: an async function returning the promise itself would wait for the call to end.
  return { call };
};

/** The session a process started (its pid is recorded with it). */
const sessionOf = (pid: number | null, events: readonly RecordedEvent[]) =>
  events.find(
    (event) => event.type === 'SessionStarted' && (event.data as { instance?: { pid: number } }).instance?.pid === pid,
  )?.stream;

describe('start-up recovery of what a killed stdio process left open', () => {
  const store = temp.file();
  let events: RecordedEvent[] = [];
  let killedSession: string | undefined;
  let liveSession: string | undefined;
  let recoverer: Connected | undefined;
  let live: Connected | undefined;

  beforeAll(async () => {
    const config = writeConfig(temp.dir, CONFIG);
    live = await connectSdkClient({ config, store, agent: 'alice' });
    const { call: liveCall } = await startLongSleep(live);
    const doomed = await connectSdkClient({ config, store, agent: 'alice' });
    await startLongSleep(doomed);
    const doomedPid = doomed.transport.pid;
    if (doomedPid === null) throw new Error('no pid');
    process.kill(doomedPid, 'SIGKILL');

    // A new process on the same store recovers the killed one's session in the background.
    recoverer = await connectSdkClient({ config, store, agent: 'alice' });
    const before = await readAllEvents(store);
    killedSession = sessionOf(doomedPid, before);
    liveSession = sessionOf(live.transport.pid, before);
    await untilStore(
      store,
      (all) => all.some((event) => event.stream === killedSession && event.type === 'SessionEnded'),
      'the killed session is recovered',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${recoverer?.stderr.join('')}`);
    });
    events = await readAllEvents(store);

    await closeAndWaitForExit(recoverer.client, recoverer.transport);
    await closeAndWaitForExit(live.client, live.transport);
    await liveCall;
  }, 180_000);

  afterAll(async () => {
    for (const connected of [recoverer, live]) {
      if (connected !== undefined) await connected.client.close().catch(() => undefined);
    }
  });

  it('records the cut-off call as failed, the take-over, and then ends the session', () => {
    const ofSession = events.filter((event) => event.stream === killedSession).map((event) => event.type);
    expect(ofSession.slice(-3)).toEqual(['RequestFailed', 'SessionAdopted', 'SessionEnded']);
    const failed = events.find((event) => event.stream === killedSession && event.type === 'RequestFailed');
    expect(failed?.data).toMatchObject({ code: -32603, message: expect.stringContaining('cut off') });
  });

  it('releases the reservation of the cut-off call, charging nothing for it', () => {
    const failed = events.find((event) => event.stream === killedSession && event.type === 'RequestFailed');
    const ofCall = events.filter((event) => event.metadata.correlationId === failed?.metadata.correlationId);
    const ledger = ofCall.filter((event) => event.stream === 'agent-alice').map((event) => event.type);
    expect(ledger).toEqual(['FundsReserved', 'ReservationReleased']);
  });

  it("leaves a live process's session and its call in flight alone", () => {
    const ofLive = events.filter((event) => event.stream === liveSession).map((event) => event.type);
    expect(ofLive).not.toContain('RequestFailed');
    expect(ofLive).not.toContain('SessionAdopted');
    expect(ofLive.at(-1)).toBe('ToolCallRequested');
  });
});
