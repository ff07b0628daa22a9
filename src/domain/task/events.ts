import * as t from 'io-ts';
import { DurationMs, defineEvent, type EventOf, RequestIdCodec, withOptional } from '../event-definition.js';
import { InstanceCodec } from '../session/events.js';

/**
 * Events of one task (tasks extension of MCP 2026-07-28, stream `task-<taskId>`): a tool call the
 * server runs on after answering it, which the client polls with tasks/get. The whole life of the
 * task is here, so tasks/get can be answered from the stream alone, by any process, after a restart.
 *
 * Every event carries `at` (ISO-8601 UTC, the server's clock): the wire shape of a task shows when
 * it was created and last updated, and the fold sees event data only.
 */

export const TaskStatusCodec = t.keyof(
  { working: null, input_required: null, completed: null, failed: null, cancelled: null },
  'TaskStatus',
);
export type TaskStatus = t.TypeOf<typeof TaskStatusCodec>;

/** What the task asks the client for, under a key unique for the task's lifetime: `{method, params}`. */
export const InputRequestCodec = withOptional({ method: t.string }, { params: t.unknown }, 'InputRequest');
export type InputRequest = t.TypeOf<typeof InputRequestCodec>;

export const InputRequestsCodec = t.record(t.string, InputRequestCodec);
export type InputRequests = t.TypeOf<typeof InputRequestsCodec>;

/** A JSON-RPC error, as a failed task reports it. */
export const TaskErrorCodec = withOptional({ code: t.number, message: t.string }, { data: t.unknown }, 'TaskError');
export type TaskError = t.TypeOf<typeof TaskErrorCodec>;

/**
 * The server answered tools/call `requestId` with this task instead of a result. `ttlMs` null: the
 * task is kept without limit; `correlationId` ties it to the call's other events.
 */
export const TaskCreated = defineEvent(
  'TaskCreated',
  1,
  withOptional(
    {
      taskId: t.string,
      requestId: RequestIdCodec,
      correlationId: t.string,
      tool: t.string,
      agent: t.string,
      ttlMs: t.union([DurationMs, t.null]),
      pollIntervalMs: DurationMs,
      at: t.string,
    },
    // `instance`: the server process running the task; a restart fails the task only once that one stopped.
    { statusMessage: t.string, instance: InstanceCodec },
  ),
);

/** The task waits for the client to answer these requests (through tasks/update). */
export const TaskInputRequested = defineEvent(
  'TaskInputRequested',
  1,
  withOptional({ inputRequests: InputRequestsCodec, at: t.string }, { statusMessage: t.string }),
);

/** The client answered these keys; the answers went to the running tool, not into the log. */
export const TaskInputProvided = defineEvent('TaskInputProvided', 1, t.type({ keys: t.array(t.string), at: t.string }));

/** The tool finished; `result` is its CallToolResult as the caller's recording policy lets it be kept. */
export const TaskCompleted = defineEvent('TaskCompleted', 1, t.type({ result: t.unknown, at: t.string }));

/** The task ended without a result: `error` is what the client sees, `reason` why, for the audit. */
export const TaskFailed = defineEvent(
  'TaskFailed',
  1,
  t.type({ error: TaskErrorCodec, reason: t.string, at: t.string }),
);

export const TaskCancelled = defineEvent('TaskCancelled', 1, t.type({ reason: t.string, at: t.string }));

export const TASK_EVENT_DEFINITIONS = [
  TaskCreated,
  TaskInputRequested,
  TaskInputProvided,
  TaskCompleted,
  TaskFailed,
  TaskCancelled,
] as const;

export type TaskEvent = EventOf<(typeof TASK_EVENT_DEFINITIONS)[number]>;
