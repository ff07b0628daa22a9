import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../src/domain/decider.js';
import type { DomainErrorCode } from '../../src/domain/errors.js';
import type { TaskCommand } from '../../src/domain/task/commands.js';
import {
  recoverTask,
  type TaskErrorName,
  type TaskRecord,
  taskDecider,
  taskStreamName,
} from '../../src/domain/task/decider.js';
import type { TaskEvent } from '../../src/domain/task/events.js';
import { isTaskExpired, taskSummary, taskView } from '../../src/domain/task/view.js';
import { deciderSpec, type ExpectedRefusal } from './support/decider-spec.js';

const given = deciderSpec(taskDecider);

// The task codes are not in DomainErrorCode yet (see TASK_ERROR_NAMES).
const refusal = (code: TaskErrorName, details?: Record<string, unknown>): ExpectedRefusal => ({
  code: code as DomainErrorCode,
  ...(details === undefined ? {} : { details }),
});

const T = (second: number) => new Date(Date.UTC(2026, 7, 1, 12, 0, second)).toISOString();

const created: TaskEvent = {
  type: 'TaskCreated',
  data: {
    taskId: 'task-1',
    requestId: 7,
    correlationId: 'session-1:7',
    tool: 'confirm_delete',
    agent: 'alice',
    ttlMs: 60_000,
    pollIntervalMs: 500,
    at: T(0),
  },
};
const askConfirm = {
  confirm: {
    method: 'elicitation/create',
    params: { message: 'Delete?', requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean' } } } },
  },
};
const askBoth = {
  name: { method: 'elicitation/create', params: { message: 'Name?' } },
  colour: { method: 'elicitation/create', params: { message: 'Colour?' } },
};
const inputRequested = (inputRequests: Record<string, { method: string; params?: unknown }>, at = T(1)): TaskEvent => ({
  type: 'TaskInputRequested',
  data: { inputRequests, at },
});
const inputProvided = (keys: string[], at = T(2)): TaskEvent => ({ type: 'TaskInputProvided', data: { keys, at } });
const result = { content: [{ type: 'text', text: 'deleted' }], isError: false };
const completed: TaskEvent = { type: 'TaskCompleted', data: { result, at: T(3) } };
const failed: TaskEvent = {
  type: 'TaskFailed',
  data: { error: { code: -32603, message: 'Internal error' }, reason: 'the tool threw', at: T(3) },
};
const cancelled: TaskEvent = { type: 'TaskCancelled', data: { reason: 'cancelled by the client', at: T(3) } };

const createTask = (changes: Partial<Extract<TaskCommand, { type: 'CreateTask' }>['data']> = {}): TaskCommand => ({
  type: 'CreateTask',
  data: { ...(created.data as Extract<TaskCommand, { type: 'CreateTask' }>['data']), ...changes },
});

const finished: ReadonlyArray<[string, TaskEvent]> = [
  ['completed', completed],
  ['failed', failed],
  ['cancelled', cancelled],
];

const taskAfter = (events: readonly TaskEvent[]): TaskRecord => {
  const state = foldEvents(taskDecider, events);
  if (state.status === 'none') throw new Error('expected a task');
  return state;
};

describe('CreateTask', () => {
  it('creates a working task, recording only the fields given', () =>
    given([])
      .when(createTask({ statusMessage: undefined }))
      .then([created]));
  it('accepts a task kept without limit (ttlMs null) and a status message', () =>
    given([])
      .when(createTask({ ttlMs: null, statusMessage: 'queued' }))
      .then([{ type: 'TaskCreated', data: { ...created.data, ttlMs: null, statusMessage: 'queued' } }]));
  it('refuses a second creation under the same id', () =>
    given([created])
      .when(createTask())
      .then(refusal('TASK_ALREADY_CREATED', { taskId: 'task-1' })));
  it.each([
    ['a zero ttlMs', { ttlMs: 0 }],
    ['a negative ttlMs', { ttlMs: -1 }],
    ['an infinite ttlMs', { ttlMs: Number.POSITIVE_INFINITY }],
    ['a zero pollIntervalMs', { pollIntervalMs: 0 }],
    ['a NaN pollIntervalMs', { pollIntervalMs: Number.NaN }],
  ])('refuses %s', (_label, changes) => given([]).when(createTask(changes)).then({ code: 'INVALID_DURATION' }));
});

describe('commands on a task that does not exist', () => {
  it.each<TaskCommand>([
    { type: 'RequestTaskInput', data: { inputRequests: askConfirm, at: T(1) } },
    { type: 'ProvideTaskInput', data: { keys: ['confirm'], at: T(1) } },
    { type: 'CompleteTask', data: { result, at: T(1) } },
    { type: 'FailTask', data: { error: { code: -32603, message: 'x' }, reason: 'r', at: T(1) } },
    { type: 'CancelTask', data: { reason: 'r', at: T(1) } },
    { type: 'RecoverTask', data: { reason: 'r', at: T(1) } },
  ])('refuses $type with TASK_NOT_FOUND', (command) => given([]).when(command).then(refusal('TASK_NOT_FOUND')));
});

describe('RequestTaskInput', () => {
  it('moves a working task to input_required', () =>
    given([created])
      .when({ type: 'RequestTaskInput', data: { inputRequests: askConfirm, at: T(1), statusMessage: undefined } })
      .then([inputRequested(askConfirm)]));
  it('adds requests to a task already waiting', () =>
    given([created, inputRequested(askConfirm)])
      .when({ type: 'RequestTaskInput', data: { inputRequests: askBoth, at: T(2) } })
      .then([inputRequested(askBoth, T(2))]));
  it('never asks twice under one key, even one answered already', () =>
    given([created, inputRequested(askConfirm), inputProvided(['confirm'])])
      .when({ type: 'RequestTaskInput', data: { inputRequests: { ...askBoth, ...askConfirm }, at: T(3) } })
      .then(refusal('DUPLICATE_INPUT_KEY', { keys: ['confirm'] })));
  it('records nothing when nothing is asked', () =>
    given([created])
      .when({ type: 'RequestTaskInput', data: { inputRequests: {}, at: T(1) } })
      .then([]));
  it.each(finished)('refuses on a %s task', (status, end) =>
    given([created, end])
      .when({ type: 'RequestTaskInput', data: { inputRequests: askConfirm, at: T(4) } })
      .then(refusal('TASK_ALREADY_FINISHED', { status })),
  );
});

describe('ProvideTaskInput (tasks/update)', () => {
  it('records the pending keys answered, ignoring unknown and repeated ones', () =>
    given([created, inputRequested(askBoth)])
      .when({ type: 'ProvideTaskInput', data: { keys: ['name', 'unknown-key', 'name'], at: T(2) } })
      .then([inputProvided(['name'])]));
  it('records nothing for keys not pending', () =>
    given([created, inputRequested(askBoth), inputProvided(['name'])])
      .when({ type: 'ProvideTaskInput', data: { keys: ['name', 'unknown-key'], at: T(3) } })
      .then([]));
  it('records nothing on a working task', () =>
    given([created])
      .when({ type: 'ProvideTaskInput', data: { keys: ['confirm'], at: T(1) } })
      .then([]));
  it.each(finished)('records nothing on a %s task (the update is still acknowledged)', (_status, end) =>
    given([created, inputRequested(askConfirm), end])
      .when({ type: 'ProvideTaskInput', data: { keys: ['confirm'], at: T(4) } })
      .then([]),
  );
});

describe('ending a task: completed, failed, cancelled are final', () => {
  it.each([
    ['working', [created]],
    ['input_required', [created, inputRequested(askConfirm)]],
  ])('completes a %s task', (_label, history) =>
    given(history)
      .when({ type: 'CompleteTask', data: { result, at: T(3) } })
      .then([completed]),
  );
  it('fails a working task', () =>
    given([created])
      .when({ type: 'FailTask', data: failed.data as Extract<TaskCommand, { type: 'FailTask' }>['data'] })
      .then([failed]));
  it.each([
    ['working', [created]],
    ['input_required', [created, inputRequested(askConfirm)]],
  ])('cancels a %s task', (_label, history) =>
    given(history)
      .when({ type: 'CancelTask', data: { reason: 'cancelled by the client', at: T(3) } })
      .then([cancelled]),
  );
  it.each(finished)('accepts tasks/cancel on a %s task and records nothing', (_status, end) =>
    given([created, end])
      .when({ type: 'CancelTask', data: { reason: 'again', at: T(4) } })
      .then([]),
  );
  it.each(finished)('refuses a result for a %s task', (status, end) =>
    given([created, end])
      .when({ type: 'CompleteTask', data: { result, at: T(4) } })
      .then(refusal('TASK_ALREADY_FINISHED', { taskId: 'task-1', status })),
  );
  it.each(finished)('refuses a failure for a %s task', (status, end) =>
    given([created, end])
      .when({ type: 'FailTask', data: { error: { code: 1, message: 'm' }, reason: 'late', at: T(4) } })
      .then(refusal('TASK_ALREADY_FINISHED', { status })),
  );
});

describe('recovering after a restart', () => {
  const interrupted = (at: string): TaskEvent => ({
    type: 'TaskFailed',
    data: {
      error: {
        code: -32603,
        message: 'The server stopped while this task was running, and its work was lost. Call the tool again.',
      },
      reason: 'server restarted',
      at,
    },
  });
  it.each([
    ['working', [created]],
    ['input_required', [created, inputRequested(askConfirm)]],
  ])('fails a %s task whose process stopped', (_label, history) =>
    given(history)
      .when({ type: 'RecoverTask', data: { reason: 'server restarted', at: T(9) } })
      .then([interrupted(T(9))]),
  );
  it.each(finished)('leaves a %s task alone', (_status, end) =>
    given([created, end])
      .when({ type: 'RecoverTask', data: { reason: 'server restarted', at: T(9) } })
      .then([]),
  );
  it('recoverTask itself needs no task', () => {
    expect(recoverTask({ status: 'none' }, 'server restarted', T(9))).toEqual([]);
    expect(recoverTask(taskAfter([created]), 'server restarted', T(9))).toEqual([interrupted(T(9))]);
  });
});

describe('taskView (tasks/get) and taskSummary (CreateTaskResult)', () => {
  const common = { taskId: 'task-1', createdAt: T(0), ttlMs: 60_000, pollIntervalMs: 500 };

  it('shows a working task with the task fields only', () => {
    expect(taskView(taskAfter([created]))).toEqual({ ...common, status: 'working', lastUpdatedAt: T(0) });
  });

  it('shows the input still pending, and keeps waiting until all of it is answered', () => {
    const partly = taskAfter([created, inputRequested(askBoth), inputProvided(['name'])]);
    expect(taskView(partly)).toEqual({
      ...common,
      status: 'input_required',
      lastUpdatedAt: T(2),
      inputRequests: { colour: askBoth.colour },
    });
    const answered = taskAfter([
      created,
      inputRequested(askBoth),
      inputProvided(['name']),
      inputProvided(['colour'], T(5)),
    ]);
    expect(taskView(answered)).toEqual({ ...common, status: 'working', lastUpdatedAt: T(5) });
  });

  it('shows the result of a completed task, however the tool call itself went', () => {
    const toolError = { content: [{ type: 'text', text: 'no such file' }], isError: true };
    const task = taskAfter([created, { type: 'TaskCompleted', data: { result: toolError, at: T(3) } }]);
    expect(taskView(task)).toEqual({ ...common, status: 'completed', lastUpdatedAt: T(3), result: toolError });
  });

  it('shows the error of a failed task, its reason as the status message, and no result', () => {
    const view = taskView(taskAfter([created, inputRequested(askConfirm), failed]));
    expect(view).toEqual({
      ...common,
      status: 'failed',
      statusMessage: 'the tool threw',
      lastUpdatedAt: T(3),
      error: { code: -32603, message: 'Internal error' },
    });
    expect(view).not.toHaveProperty('result');
    expect(view).not.toHaveProperty('inputRequests');
  });

  it('shows a cancelled task without its former input requests', () => {
    expect(taskView(taskAfter([created, inputRequested(askConfirm), cancelled]))).toEqual({
      ...common,
      status: 'cancelled',
      statusMessage: 'cancelled by the client',
      lastUpdatedAt: T(3),
    });
  });

  it('summarises any task without result, error or input requests', () => {
    for (const history of [
      [created, inputRequested(askConfirm)],
      [created, completed],
      [created, failed],
    ]) {
      const summary = taskSummary(taskAfter(history));
      for (const detail of ['inputRequests', 'result', 'error']) expect(summary).not.toHaveProperty(detail);
    }
  });
});

describe('isTaskExpired', () => {
  it('counts the time to live from creation, and never expires a task without one', () => {
    const task = taskAfter([created]);
    const createdAt = Date.parse(T(0));
    expect(isTaskExpired(task, createdAt + 59_999)).toBe(false);
    expect(isTaskExpired(task, createdAt + 60_000)).toBe(true);
    expect(isTaskExpired({ ...task, ttlMs: null }, createdAt + 10 ** 12)).toBe(false);
  });
});

describe('taskStreamName', () => {
  it('names the stream of a server-minted id', () => {
    expect(taskStreamName('0190f4a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e')).toBe('task-0190f4a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e');
  });
  it.each(['', '../x', '$all', 'a b', 'x'.repeat(200), 'ü'])('names no stream for %j', (taskId) => {
    expect(taskStreamName(taskId)).toBeUndefined();
  });
});
