import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { readAllEvents, writeConfig } from '../support/apex-process.js';
import { RawStdioPeer, type WireMessage } from '../support/raw-stdio-peer.js';
import { ledgerOfRequest } from '../support/recorded-requests.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-tasks');

const CONFIG = {
  agents: {
    alice: { name: 'Alice', balance: '100', permissions: ['demo'] },
    bob: { name: 'Bob', balance: '100', permissions: ['demo'] },
  },
  tools: { sleep: { price: { perCall: '2', perSecond: '0' }, category: 'demo', permissions: ['demo'] } },
  toolsets: ['demo'],
};

const WITH_TASKS = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } },
};
const WITHOUT_TASKS = { ...WITH_TASKS, 'io.modelcontextprotocol/clientCapabilities': {} };

type Task = { taskId: string; status: string; result?: unknown; error?: { code: number }; resultType?: string };

const resultOf = (message: WireMessage | undefined) => message?.result as Task;

/** Polls tasks/get until the task leaves `working`; the timeout only keeps a broken run from hanging. */
const settled = async (peer: RawStdioPeer, taskId: string, prefix: string): Promise<Task> => {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    const task = resultOf(await peer.request(`${prefix}-${attempt}`, 'tasks/get', { taskId, _meta: WITH_TASKS }));
    if (task.status !== 'working') return task;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still working`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('tool calls as tasks (2026-07-28 tasks extension) over stdio, across a SIGKILL', () => {
  const store = temp.file();
  const config = () => writeConfig(temp.dir, CONFIG);
  let first: RawStdioPeer;
  let second: RawStdioPeer;
  let bob: RawStdioPeer;
  let events: RecordedEvent[] = [];
  const seen: Record<string, unknown> = {};

  beforeAll(async () => {
    first = RawStdioPeer.start({ config: config(), store, agent: 'alice' });
    seen.created = resultOf(
      await first.request('short', 'tools/call', { name: 'sleep', arguments: { ms: 50 }, _meta: WITH_TASKS }),
    );
    seen.plain = await first.request('plain', 'tools/call', {
      name: 'sleep',
      arguments: { ms: 1 },
      _meta: WITHOUT_TASKS,
    });
    seen.completed = await settled(first, (seen.created as Task).taskId, 'poll-short');
    const toCancel = resultOf(
      await first.request('to-cancel', 'tools/call', { name: 'sleep', arguments: { ms: 600_000 }, _meta: WITH_TASKS }),
    );
    seen.cancelAck = await first.request('cancel', 'tasks/cancel', { taskId: toCancel.taskId, _meta: WITH_TASKS });
    seen.cancelled = await settled(first, toCancel.taskId, 'poll-cancelled');
    seen.cancelAgain = await first.request('cancel-again', 'tasks/cancel', {
      taskId: toCancel.taskId,
      _meta: WITH_TASKS,
    });
    seen.noExtension = await first.request('no-ext', 'tasks/get', { taskId: toCancel.taskId, _meta: WITHOUT_TASKS });
    seen.unknown = await first.request('unknown', 'tasks/get', { taskId: 'no-such-task', _meta: WITH_TASKS });
    seen.removed = await first.request('list', 'tasks/list', { _meta: WITH_TASKS });
    seen.cutOff = resultOf(
      await first.request('cut-off', 'tools/call', { name: 'sleep', arguments: { ms: 600_000 }, _meta: WITH_TASKS }),
    );
    first.child.kill('SIGKILL');
    await first.close();

    second = RawStdioPeer.start({ config: config(), store, agent: 'alice' });
    seen.afterRestart = await settled(second, (seen.cutOff as Task).taskId, 'poll-restart');
    bob = RawStdioPeer.start({ config: config(), store, agent: 'bob' });
    seen.otherAgent = await bob.request('peek', 'tasks/get', {
      taskId: (seen.cutOff as Task).taskId,
      _meta: WITH_TASKS,
    });
    await bob.close();
    await second.close();
    events = await readAllEvents(store);
  }, 180_000);

  afterAll(async () => {
    for (const peer of [first, second, bob]) await peer?.close();
  });

  it('answers a long-running call with a task, durable at once, and its result through tasks/get', () => {
    expect(seen.created).toMatchObject({ resultType: 'task', status: 'working', pollIntervalMs: 1000 });
    expect(seen.completed).toMatchObject({
      status: 'completed',
      resultType: 'complete',
      result: { content: [{ type: 'text', text: 'slept 50 ms' }] },
    });
  });

  it('runs the call plainly for a client that did not declare the extension', () => {
    expect((seen.plain as WireMessage).result).toMatchObject({
      resultType: 'complete',
      content: [{ text: 'slept 1 ms' }],
    });
  });

  it('cancels a task (idempotently), refuses tasks/* without the extension (-32021) or for an unknown id (-32602)', () => {
    expect((seen.cancelAck as WireMessage).result).toMatchObject({ resultType: 'complete' });
    expect(seen.cancelled).toMatchObject({ status: 'cancelled' });
    expect((seen.cancelAgain as WireMessage).result).toMatchObject({ resultType: 'complete' });
    expect((seen.noExtension as WireMessage).error).toMatchObject({ code: -32021 });
    expect((seen.unknown as WireMessage).error).toMatchObject({ code: -32602 });
    expect((seen.removed as WireMessage).error).toMatchObject({ code: -32601 });
  });

  it('reports a task cut off by the crash as failed, from the log, never working forever; only to its agent', () => {
    expect(seen.afterRestart).toMatchObject({ status: 'failed', error: { code: -32603 } });
    expect((seen.otherAgent as WireMessage).error).toMatchObject({ code: -32602 });
  });

  it('settles each task exactly once on the ledger: charged when it ran to an end, released when cut off', () => {
    const ledgerOf = (requestId: string) => ledgerOfRequest(events, requestId, 'alice');
    expect(ledgerOf('short')).toEqual(['FundsReserved', 'ToolCallCharged']);
    expect(ledgerOf('to-cancel')).toEqual(['FundsReserved', 'ToolCallCharged']);
    expect(ledgerOf('cut-off')).toEqual(['FundsReserved', 'ReservationReleased']);
    const taskTypes = (taskId: string) =>
      events.filter((event) => event.stream === `task-${taskId}`).map((event) => event.type);
    expect(taskTypes((seen.cutOff as Task).taskId)).toEqual(['TaskCreated', 'TaskFailed']);
    expect(events.some((event) => event.type === 'ToolCallRunAsTask')).toBe(true);
  });
});
