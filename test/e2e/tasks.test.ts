import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { readAllEvents, writeConfig } from '../support/apex-process.js';
import { RawStdioPeer, type WireMessage } from '../support/raw-stdio-peer.js';
import { correlationOfRequest, ledgerOfRequest } from '../support/recorded-requests.js';
import { useTempDir } from '../support/sqlite-temp.js';
import { until } from '../support/wait-until.js';

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
    const cancelled = events.find(
      (event) => event.stream === `task-${(seen.cancelled as Task).taskId}` && event.type === 'TaskCancelled',
    );
    expect(cancelled?.metadata.causationId).toBe(correlationOfRequest(events, 'cancel'));
    expect(events.some((event) => event.type === 'ToolCallRunAsTask')).toBe(true);
  });
});

const PRICED = { price: { perCall: '1', perSecond: '0' } };

/** The conformance suite's task tools, priced, so every settlement shows on the ledger. */
const TOOLS_CONFIG = {
  agents: {
    alice: { name: 'Alice', balance: '100' },
    bob: { name: 'Bob', balance: '100' },
  },
  toolsets: ['conformance'],
  tools: Object.fromEntries(
    ['protocol_error_job', 'failing_job', 'confirm_delete', 'multi_input', 'test_tool_with_task'].map((name) => [
      name,
      PRICED,
    ]),
  ),
};

const withCapabilities = (clientCapabilities: Record<string, unknown>) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': clientCapabilities,
});
const TASKS = { 'io.modelcontextprotocol/tasks': {} };
/** A client that can answer questions, and declares the tasks extension. */
const ASKABLE = withCapabilities({ elicitation: {}, extensions: TASKS });
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

type DetailedTask = Task & { inputRequests?: Record<string, { method: string }>; statusMessage?: string };

/** Polls tasks/get until `done` holds for the task; the timeout only keeps a broken run from hanging. */
const pollTask = async (
  peer: RawStdioPeer,
  taskId: string,
  prefix: string,
  done: (task: DetailedTask) => boolean,
): Promise<DetailedTask> => {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    const task = resultOf(await peer.request(`${prefix}-${attempt}`, 'tasks/get', { taskId, _meta: ASKABLE }));
    if (task === undefined) throw new Error(`tasks/get ${taskId} failed`);
    if (done(task as DetailedTask)) return task as DetailedTask;
    if (Date.now() > deadline) throw new Error(`task ${taskId} never got there: ${JSON.stringify(task)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const isTerminal = (task: DetailedTask) => ['completed', 'failed', 'cancelled'].includes(task.status);

const pendingKeys = (task: DetailedTask) => Object.keys(task.inputRequests ?? {}).sort();

const accept = (content: Record<string, unknown>) => ({ action: 'accept', content });

describe('tasks that ask, fail with a protocol error, or run only as tasks; notifications/tasks; across a SIGKILL', () => {
  const store = temp.file();
  const config = () => writeConfig(temp.dir, TOOLS_CONFIG, 'tools.config.json');
  let first: RawStdioPeer;
  let other: RawStdioPeer;
  let third: RawStdioPeer;
  let bob: RawStdioPeer;
  let legacy: RawStdioPeer;
  let events: RecordedEvent[] = [];
  const seen: Record<string, unknown> = {};
  let notifications: WireMessage[] = [];

  beforeAll(async () => {
    first = RawStdioPeer.start({ config: config(), store, agent: 'alice' });

    seen.tools = await first.request('list', 'tools/list', { _meta: ASKABLE });

    // A protocol error: a task ends failed; a plain call is answered with the error.
    const failing = resultOf(
      await first.request('protocol-task', 'tools/call', { name: 'protocol_error_job', arguments: {}, _meta: ASKABLE }),
    );
    seen.protocolTask = await pollTask(first, failing.taskId, 'poll-protocol', isTerminal);
    seen.protocolPlain = await first.request('protocol-plain', 'tools/call', {
      name: 'protocol_error_job',
      arguments: {},
      _meta: withCapabilities({}),
    });

    // Task-only: refused before anything is reserved, to a request without the extension.
    seen.taskOnly = await first.request('task-only', 'tools/call', {
      name: 'failing_job',
      arguments: {},
      _meta: withCapabilities({ elicitation: {} }),
    });

    // Two questions from inside a task, answered one at a time, watched on a listen stream.
    const asking = resultOf(
      await first.request('asking', 'tools/call', { name: 'multi_input', arguments: {}, _meta: ASKABLE }),
    );
    seen.asking = asking;
    await first.send({
      jsonrpc: '2.0',
      id: 'listen-tasks',
      method: 'subscriptions/listen',
      params: { _meta: ASKABLE, notifications: { taskIds: [asking.taskId, 'no-such-task'] } },
    });
    seen.waiting = await pollTask(first, asking.taskId, 'poll-asking', (task) => pendingKeys(task).length === 2);
    // Answered only once the listen stream told of both questions, so it tells of each answer after.
    await until(
      () =>
        first.messages.some(
          (message) =>
            message.method === 'notifications/tasks' && pendingKeys(message.params as DetailedTask).length === 2,
        ),
      'the listen stream announced both questions',
    );
    const [firstKey, secondKey] = pendingKeys(seen.waiting as DetailedTask) as [string, string];
    seen.keys = [firstKey, secondKey];
    seen.partialAck = await first.request('answer-first', 'tasks/update', {
      taskId: asking.taskId,
      inputResponses: { [firstKey]: accept({ name: 'Ada' }), unknown: accept({}) },
      _meta: ASKABLE,
    });
    seen.afterPartial = resultOf(
      await first.request('after-partial', 'tasks/get', { taskId: asking.taskId, _meta: ASKABLE }),
    );
    seen.notAnAnswer = await first.request('not-an-answer', 'tasks/update', {
      taskId: asking.taskId,
      inputResponses: { [secondKey]: 'yes' },
      _meta: ASKABLE,
    });
    seen.afterNotAnAnswer = resultOf(
      await first.request('after-not-an-answer', 'tasks/get', { taskId: asking.taskId, _meta: ASKABLE }),
    );
    seen.noResponses = await first.request('no-responses', 'tasks/update', { taskId: asking.taskId, _meta: ASKABLE });
    await first.request('answer-second', 'tasks/update', {
      taskId: asking.taskId,
      inputResponses: { [secondKey]: accept({ confirm: true }) },
      _meta: ASKABLE,
    });
    seen.answered = await pollTask(first, asking.taskId, 'poll-answered', isTerminal);
    await until(
      () =>
        first.messages.some(
          (message) => message.method === 'notifications/tasks' && isTerminal(message.params as DetailedTask),
        ),
      'the listen stream announced the end of the task',
    );
    await first.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'listen-tasks' } });
    seen.listenWithoutExtension = await first.request('listen-no-ext', 'subscriptions/listen', {
      _meta: withCapabilities({}),
      notifications: { taskIds: [asking.taskId] },
    });

    // A question the starting request cannot be asked: the task fails with -32021, nothing charged.
    const mute = resultOf(
      await first.request('mute', 'tools/call', {
        name: 'confirm_delete',
        arguments: { filename: 'a.txt' },
        _meta: withCapabilities({ extensions: TASKS }),
      }),
    );
    seen.mute = await pollTask(first, mute.taskId, 'poll-mute', isTerminal);

    // Asked before the task exists (multi round-trip), then a task that uses the answer.
    const round1 = await first.request('compose-1', 'tools/call', {
      name: 'test_tool_with_task',
      arguments: {},
      _meta: ASKABLE,
    });
    seen.round1 = round1.result;
    const { inputRequests, requestState } = round1.result as { inputRequests: object; requestState: string };
    const round2 = resultOf(
      await first.request('compose-2', 'tools/call', {
        name: 'test_tool_with_task',
        arguments: {},
        inputResponses: { [Object.keys(inputRequests)[0] as string]: accept({ name: 'Alice' }) },
        requestState,
        _meta: ASKABLE,
      }),
    );
    seen.round2 = round2;
    seen.composed = await pollTask(first, round2.taskId, 'poll-composed', isTerminal);

    // A task waiting for input in this process cannot be answered by another one; after a crash it fails.
    const parked = resultOf(
      await first.request('parked', 'tools/call', {
        name: 'confirm_delete',
        arguments: { filename: 'b.txt' },
        _meta: ASKABLE,
      }),
    );
    seen.parked = parked;
    seen.parkedWaiting = await pollTask(
      first,
      parked.taskId,
      'poll-parked',
      (task) => task.status === 'input_required',
    );
    other = RawStdioPeer.start({ config: config(), store, agent: 'alice' });
    seen.answeredElsewhere = await other.request('elsewhere', 'tasks/update', {
      taskId: parked.taskId,
      inputResponses: { 'input-1': accept({ confirm: true }) },
      _meta: ASKABLE,
    });
    await other.close();
    notifications = first.messages.filter((message) => message.method !== undefined);
    first.child.kill('SIGKILL');
    await first.close();

    third = RawStdioPeer.start({ config: config(), store, agent: 'alice' });
    seen.afterRestart = await pollTask(third, parked.taskId, 'poll-restart', isTerminal);
    bob = RawStdioPeer.start({ config: config(), store, agent: 'bob' });
    await bob.send({
      jsonrpc: '2.0',
      id: 'bob-listen',
      method: 'subscriptions/listen',
      params: { _meta: ASKABLE, notifications: { taskIds: [parked.taskId] } },
    });
    await until(
      () => bob.messages.some((message) => message.method === 'notifications/subscriptions/acknowledged'),
      "bob's listen was acknowledged",
    );
    seen.bobAck = bob.messages.find((message) => message.method === 'notifications/subscriptions/acknowledged');
    await bob.close();
    await third.close();

    legacy = RawStdioPeer.start({ config: config(), store, agent: 'alice' });
    await legacy.initialize();
    seen.legacyTaskOnly = await legacy.request('legacy-task-only', 'tools/call', {
      name: 'failing_job',
      arguments: {},
    });
    seen.legacyProtocol = await legacy.request('legacy-protocol', 'tools/call', {
      name: 'protocol_error_job',
      arguments: {},
    });
    await legacy.close();
    events = await readAllEvents(store);
  }, 240_000);

  afterAll(async () => {
    for (const peer of [first, other, third, bob, legacy]) peer?.kill();
  });

  const ledgerOf = (requestId: string) => ledgerOfRequest(events, requestId, 'alice');
  const taskEvents = (taskId: string) => events.filter((event) => event.stream === `task-${taskId}`);
  const sessionEventsOf = (requestId: string) =>
    events.filter(
      (event) => event.stream.startsWith('session-') && (event.data as { requestId?: unknown }).requestId === requestId,
    );

  it('lists how each tool may run as a task under _meta', () => {
    const tools = ((seen.tools as WireMessage).result as { tools: { name: string; _meta: Record<string, unknown> }[] })
      .tools;
    const support = (name: string) => tools.find((tool) => tool.name === name)?._meta['apex/taskSupport'];
    expect([support('failing_job'), support('test_tool_with_task'), support('slow_compute'), support('greet')]).toEqual(
      ['required', 'required', 'optional', undefined],
    );
  });

  it('ends a task failed with the protocol error its tool threw, charged like a failed call', () => {
    const task = seen.protocolTask as DetailedTask;
    expect(task).toMatchObject({
      status: 'failed',
      error: { code: -32603, message: 'This job could not produce a result.' },
    });
    expect(task).not.toHaveProperty('result');
    expect(taskEvents(task.taskId).map((event) => [event.type, event.data])).toEqual([
      ['TaskCreated', expect.objectContaining({ tool: 'protocol_error_job' })],
      [
        'TaskFailed',
        expect.objectContaining({
          error: { code: -32603, message: 'This job could not produce a result.' },
          reason: 'the tool ended its call with a protocol error (-32603)',
        }),
      ],
    ]);
    expect(ledgerOf('protocol-task')).toEqual(['FundsReserved', 'ToolCallCharged']);
  });

  it('answers a plain call of the same tool with that error (both eras), recorded as the call failing', () => {
    expect((seen.protocolPlain as WireMessage).error).toEqual({
      code: -32603,
      message: 'This job could not produce a result.',
    });
    expect((seen.legacyProtocol as WireMessage).error).toMatchObject({ code: -32603 });
    expect(sessionEventsOf('protocol-plain').map((event) => event.type)).toEqual([
      'RequestReceived',
      'ToolCallRequested',
      'ToolCallFailed',
      'RequestFailed',
    ]);
    expect(sessionEventsOf('protocol-plain')[2]?.data).toMatchObject({
      error: 'protocol error -32603: This job could not produce a result.',
    });
    expect(sessionEventsOf('protocol-plain')[3]?.data).toMatchObject({ code: -32603 });
    expect(ledgerOf('protocol-plain')).toEqual(['FundsReserved', 'ToolCallCharged']);
  });

  it('refuses a task-only tool to a request that cannot get a task (-32021, legacy -32601), reserving nothing', () => {
    expect((seen.taskOnly as WireMessage).error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } },
    });
    expect((seen.legacyTaskOnly as WireMessage).error).toMatchObject({ code: -32601, data: { tool: 'failing_job' } });
    expect(sessionEventsOf('task-only').map((event) => event.type)).toEqual([
      'RequestReceived',
      'ToolCallRequested',
      'ToolCallDenied',
      'RequestFailed',
    ]);
    expect(sessionEventsOf('task-only')[2]?.data).toMatchObject({ code: 'MISSING_CLIENT_CAPABILITY' });
    expect(ledgerOf('task-only')).toEqual([]);
    expect(ledgerOf('legacy-task-only')).toEqual([]);
  });

  it('shows the questions a task asks on tasks/get, and keeps it waiting until every one is answered', () => {
    const [firstKey, secondKey] = seen.keys as [string, string];
    expect(seen.waiting).toMatchObject({ status: 'input_required' });
    expect(Object.values((seen.waiting as DetailedTask).inputRequests ?? {})).toEqual([
      expect.objectContaining({ method: 'elicitation/create' }),
      expect.objectContaining({ method: 'elicitation/create' }),
    ]);
    expect((seen.partialAck as WireMessage).result).toEqual(expect.objectContaining({ resultType: 'complete' }));
    expect(seen.afterPartial).toMatchObject({ status: 'input_required' });
    expect(pendingKeys(seen.afterPartial as DetailedTask)).toEqual([secondKey]);
    // Not an answer: acknowledged, and the question is still pending.
    expect((seen.notAnAnswer as WireMessage).result).toBeDefined();
    expect(pendingKeys(seen.afterNotAnAnswer as DetailedTask)).toEqual([secondKey]);
    expect((seen.noResponses as WireMessage).error).toMatchObject({ code: -32602 });
    expect(seen.answered).toMatchObject({
      status: 'completed',
      result: { content: [{ type: 'text', text: expect.stringContaining('"name":"Ada"') }] },
    });
    expect(firstKey).not.toBe(secondKey);
  });

  it('records each question and each answer in the task stream, linked to the call and to the tasks/update that answered', () => {
    const [firstKey, secondKey] = seen.keys as [string, string];
    const taskId = (seen.asking as Task).taskId;
    const recorded = taskEvents(taskId);
    expect(recorded.map((event) => event.type)).toEqual([
      'TaskCreated',
      'TaskInputRequested',
      'TaskInputProvided',
      'TaskInputProvided',
      'TaskCompleted',
    ]);
    const asked = recorded[1]?.data as { inputRequests: object } | undefined;
    expect(Object.keys(asked?.inputRequests ?? {}).sort()).toEqual([firstKey, secondKey]);
    expect(recorded.slice(2, 4).map((event) => (event.data as { keys: string[] }).keys)).toEqual([
      [firstKey],
      [secondKey],
    ]);
    const call = correlationOfRequest(events, 'asking');
    expect(new Set(recorded.map((event) => event.metadata.correlationId))).toEqual(new Set([call]));
    expect(recorded[2]?.metadata.causationId).toBe(correlationOfRequest(events, 'answer-first'));
    expect(recorded[3]?.metadata.causationId).toBe(correlationOfRequest(events, 'answer-second'));
    expect(ledgerOf('asking')).toEqual(['FundsReserved', 'ToolCallCharged']);
  });

  it('sends notifications/tasks on a listen stream: the task as tasks/get shows it, at each change', () => {
    const taskId = (seen.asking as Task).taskId;
    const ack = notifications.find((message) => message.method === 'notifications/subscriptions/acknowledged');
    expect(ack?.params).toEqual({ _meta: { [SUBSCRIPTION_ID]: 'listen-tasks' }, notifications: { taskIds: [taskId] } });
    const updates = notifications
      .filter((message) => message.method === 'notifications/tasks')
      .map((message) => message.params as DetailedTask & { _meta: unknown });
    expect(updates.every((update) => update.taskId === taskId)).toBe(true);
    expect(
      updates.every((update) => JSON.stringify(update._meta) === JSON.stringify({ [SUBSCRIPTION_ID]: 'listen-tasks' })),
    ).toBe(true);
    const statuses = updates.map((update) => `${update.status}:${pendingKeys(update).length}`);
    // One notification per change, in order: asked two, one answered, the other (working again), completed.
    expect(statuses.slice(-4)).toEqual(['input_required:2', 'input_required:1', 'working:0', 'completed:0']);
    expect(new Set(updates.map((update) => JSON.stringify(update))).size).toBe(updates.length);
    expect(updates.at(-1)).toMatchObject({ result: (seen.answered as DetailedTask).result });
    expect((seen.listenWithoutExtension as WireMessage).error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } },
    });
    expect((seen.bobAck as WireMessage).params).toMatchObject({ notifications: { taskIds: [] } });
  });

  it('fails a task whose question its request cannot be asked with -32021, charging nothing', () => {
    expect(seen.mute).toMatchObject({
      status: 'failed',
      error: { code: -32021, data: { requiredCapabilities: { elicitation: {} } } },
    });
    expect(ledgerOf('mute')).toEqual(['FundsReserved', 'ReservationReleased']);
  });

  it('asks by multi round-trip before the task exists, then hands out a task that uses the answer', () => {
    expect(seen.round1).toMatchObject({
      resultType: 'input_required',
      inputRequests: { user_name: { method: 'elicitation/create' } },
    });
    expect(seen.round1).not.toHaveProperty('taskId');
    expect(seen.round2).toMatchObject({ resultType: 'task', status: 'working' });
    expect(seen.round2).not.toHaveProperty('requestState');
    expect(seen.composed).toMatchObject({
      status: 'completed',
      result: { content: [{ type: 'text', text: 'Hello, Alice!' }] },
    });
    expect(sessionEventsOf('compose-1').map((event) => event.type)).toContain('ToolCallInputRequired');
    expect(sessionEventsOf('compose-2').map((event) => event.type)).toContain('ToolCallRunAsTask');
    expect(sessionEventsOf('compose-2').find((event) => event.type === 'ToolCallRequested')?.data).toMatchObject({
      continues: { call: correlationOfRequest(events, 'compose-1'), round: 2, inputProvided: ['user_name'] },
    });
    expect(ledgerOf('compose-1')).toEqual(['FundsReserved', 'ReservationReleased']);
    expect(ledgerOf('compose-2')).toEqual(['FundsReserved', 'ToolCallCharged']);
  });

  it('refuses answers for a task waiting in another live process; after a crash the waiting task is failed, its funds released', () => {
    expect(seen.parkedWaiting).toMatchObject({ status: 'input_required' });
    expect((seen.answeredElsewhere as WireMessage).error).toMatchObject({ code: -32603 });
    expect(seen.afterRestart).toMatchObject({ status: 'failed', error: { code: -32603 } });
    const taskId = (seen.parked as Task).taskId;
    expect(taskEvents(taskId).map((event) => event.type)).toEqual(['TaskCreated', 'TaskInputRequested', 'TaskFailed']);
    expect(ledgerOf('parked')).toEqual(['FundsReserved', 'ReservationReleased']);
  });
});
