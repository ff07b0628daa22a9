import * as E from 'fp-ts/lib/Either.js';
import type { Decider } from '../decider.js';
import { type DomainError, domainError } from '../errors.js';
import type { RequestId } from '../event-definition.js';
import type { Instance } from '../session/events.js';
import type { TaskCommand } from './commands.js';
import type { InputRequests, TaskError, TaskEvent, TaskStatus } from './events.js';

/**
 * A task's status machine: working ↔ input_required, then completed, failed or cancelled, which
 * are final. Cancelling a finished task is accepted and changes nothing (tasks/cancel is idempotent).
 */

/** Refusals of this decider (listed with the other domain errors in src/domain/errors.ts). */
export const TASK_ERROR_NAMES = [
  'TASK_NOT_FOUND',
  'TASK_ALREADY_CREATED',
  'TASK_ALREADY_FINISHED',
  'DUPLICATE_INPUT_KEY',
] as const;
export type TaskErrorName = (typeof TASK_ERROR_NAMES)[number];

const taskRefusal = (code: TaskErrorName, message: string, details?: Readonly<Record<string, unknown>>): DomainError =>
  domainError(code, message, details);

/** Task ids are minted by the server (random UUIDs); a client's id that is not one names no task. */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** The stream of a task, or undefined when `taskId` cannot be one (then there is no such task). */
export const taskStreamName = (taskId: string): string | undefined =>
  TASK_ID.test(taskId) ? `task-${taskId}` : undefined;

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export const isTerminalStatus = (status: TaskStatus): boolean => TERMINAL_TASK_STATUSES.includes(status);

/** A task that exists: everything tasks/get shows, and what `decide` needs. */
export interface TaskRecord {
  readonly status: TaskStatus;
  readonly taskId: string;
  readonly requestId: RequestId;
  readonly correlationId: string;
  readonly tool: string;
  readonly agent: string;
  readonly ttlMs: number | null;
  readonly pollIntervalMs: number;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly statusMessage: string | undefined;
  /** Asked for and not answered yet, by key. */
  readonly pendingInput: InputRequests;
  /** Every input key the task ever used: a key is never asked for twice. */
  readonly inputKeys: readonly string[];
  readonly result?: unknown;
  readonly error?: TaskError;
  /** The server process that runs it (absent in tasks recorded without one). */
  readonly instance?: Instance;
}

export type TaskState = { readonly status: 'none' } | TaskRecord;

export const initialTaskState = (): TaskState => ({ status: 'none' });

const withoutKeys = (requests: InputRequests, keys: readonly string[]): InputRequests =>
  Object.fromEntries(Object.entries(requests).filter(([key]) => !keys.includes(key)));

export const evolveTask = (state: TaskState, event: TaskEvent): TaskState => {
  if (event.type === 'TaskCreated') {
    const { at, statusMessage, ...created } = event.data;
    return {
      ...created,
      status: 'working',
      createdAt: at,
      lastUpdatedAt: at,
      statusMessage,
      pendingInput: {},
      inputKeys: [],
    };
  }
  if (state.status === 'none') return state;
  const updated = { ...state, lastUpdatedAt: event.data.at };
  switch (event.type) {
    case 'TaskInputRequested':
      return {
        ...updated,
        status: 'input_required',
        statusMessage: event.data.statusMessage,
        pendingInput: { ...state.pendingInput, ...event.data.inputRequests },
        inputKeys: [...state.inputKeys, ...Object.keys(event.data.inputRequests)],
      };
    case 'TaskInputProvided': {
      const pendingInput = withoutKeys(state.pendingInput, event.data.keys);
      // Partly answered, the task still waits; answered in full, it works again.
      return Object.keys(pendingInput).length > 0
        ? { ...updated, pendingInput }
        : { ...updated, pendingInput, status: 'working', statusMessage: undefined };
    }
    case 'TaskCompleted':
      return { ...updated, status: 'completed', statusMessage: undefined, pendingInput: {}, result: event.data.result };
    case 'TaskFailed':
      return {
        ...updated,
        status: 'failed',
        statusMessage: event.data.reason,
        pendingInput: {},
        error: event.data.error,
      };
    case 'TaskCancelled':
      return { ...updated, status: 'cancelled', statusMessage: event.data.reason, pendingInput: {} };
  }
};

type Decision = E.Either<DomainError, readonly TaskEvent[]>;

/** The JSON-RPC code (internal error) a task reports when the process running it stopped. */
export const TASK_INTERRUPTED_CODE = -32603;

/**
 * After a restart: a task left working or waiting for input by a process that is gone can never
 * finish, so it fails with `reason`. A finished task, or none, needs nothing.
 */
export const recoverTask = (state: TaskState, reason: string, at: string): readonly TaskEvent[] =>
  state.status === 'none' || isTerminalStatus(state.status)
    ? []
    : [
        {
          type: 'TaskFailed',
          data: {
            error: {
              code: TASK_INTERRUPTED_CODE,
              message: 'The server stopped while this task was running, and its work was lost. Call the tool again.',
            },
            reason,
            at,
          },
        },
      ];

const isPositiveDuration = (ms: number): boolean => Number.isFinite(ms) && ms > 0;

const invalidTaskDuration = (name: string, ms: number): DomainError =>
  domainError('INVALID_DURATION', `A task's ${name} must be a positive number of milliseconds; got ${ms}.`);

const alreadyFinished = (task: TaskRecord, what: string): Decision =>
  E.left(
    taskRefusal(
      'TASK_ALREADY_FINISHED',
      `Task ${task.taskId} is already ${task.status}; ${what} is not recorded. A finished task does not change.`,
      { taskId: task.taskId, status: task.status },
    ),
  );

const decideOnTask = (command: Exclude<TaskCommand, { type: 'CreateTask' }>, task: TaskRecord): Decision => {
  const finished = isTerminalStatus(task.status);
  switch (command.type) {
    case 'RequestTaskInput': {
      if (finished) return alreadyFinished(task, 'a request for input');
      const keys = Object.keys(command.data.inputRequests);
      const reused = keys.filter((key) => task.inputKeys.includes(key));
      if (reused.length > 0) {
        return E.left(
          taskRefusal(
            'DUPLICATE_INPUT_KEY',
            `Task ${task.taskId} already asked for input under ${reused.join(', ')}; use a key not used before in this task.`,
            { taskId: task.taskId, keys: reused },
          ),
        );
      }
      if (keys.length === 0) return E.right([]);
      return E.right([{ type: 'TaskInputRequested', data: definedOnly(command.data) }]);
    }
    case 'ProvideTaskInput': {
      // Keys not pending (unknown, answered already, or the task has finished) are ignored.
      const answered = [...new Set(command.data.keys)].filter((key) => Object.hasOwn(task.pendingInput, key));
      return E.right(
        answered.length === 0 ? [] : [{ type: 'TaskInputProvided', data: { keys: answered, at: command.data.at } }],
      );
    }
    case 'CompleteTask':
      return finished ? alreadyFinished(task, 'a result') : E.right([{ type: 'TaskCompleted', data: command.data }]);
    case 'FailTask':
      return finished ? alreadyFinished(task, 'a failure') : E.right([{ type: 'TaskFailed', data: command.data }]);
    case 'CancelTask':
      return E.right(finished ? [] : [{ type: 'TaskCancelled', data: command.data }]);
    case 'RecoverTask':
      return E.right(recoverTask(task, command.data.reason, command.data.at));
  }
};

/** Copies only the defined optional fields, so an event never records `"key": undefined`. */
const definedOnly = <T extends object>(fields: T): T =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;

export const decideTask = (command: TaskCommand, state: TaskState): Decision => {
  if (command.type === 'CreateTask') {
    if (state.status !== 'none') {
      return E.left(
        taskRefusal('TASK_ALREADY_CREATED', `Task ${state.taskId} already exists; mint a new task id for a new task.`, {
          taskId: state.taskId,
        }),
      );
    }
    const { ttlMs, pollIntervalMs } = command.data;
    if (ttlMs !== null && !isPositiveDuration(ttlMs)) return E.left(invalidTaskDuration('ttlMs', ttlMs));
    if (!isPositiveDuration(pollIntervalMs)) return E.left(invalidTaskDuration('pollIntervalMs', pollIntervalMs));
    return E.right([{ type: 'TaskCreated', data: definedOnly(command.data) }]);
  }
  if (state.status === 'none') {
    return E.left(taskRefusal('TASK_NOT_FOUND', 'There is no such task: it was never created here. Check the taskId.'));
  }
  return decideOnTask(command, state);
};

export const taskDecider: Decider<TaskCommand, TaskEvent, TaskState> = {
  initialState: initialTaskState,
  evolve: evolveTask,
  decide: decideTask,
};
