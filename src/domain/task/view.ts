import { TASK_INTERRUPTED_CODE, type TaskRecord } from './decider.js';
import type { InputRequests, TaskError, TaskStatus } from './events.js';

/**
 * A task as the tasks extension shows it on the wire. The caller adds `resultType`: "task" for the
 * CreateTaskResult of tools/call, "complete" for tasks/get.
 */
export interface TaskSummary {
  readonly taskId: string;
  readonly status: TaskStatus;
  readonly statusMessage?: string;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly ttlMs: number | null;
  readonly pollIntervalMs: number;
}

/** tasks/get: the summary, plus what the status calls for. */
export type DetailedTask =
  | (TaskSummary & { readonly status: 'working' | 'cancelled' })
  | (TaskSummary & { readonly status: 'input_required'; readonly inputRequests: InputRequests })
  | (TaskSummary & { readonly status: 'completed'; readonly result: unknown })
  | (TaskSummary & { readonly status: 'failed'; readonly error: TaskError });

/** The fields of CreateTaskResult: no result, error or input requests, whatever the status. */
export const taskSummary = (task: TaskRecord): TaskSummary => ({
  taskId: task.taskId,
  status: task.status,
  ...(task.statusMessage === undefined ? {} : { statusMessage: task.statusMessage }),
  createdAt: task.createdAt,
  lastUpdatedAt: task.lastUpdatedAt,
  ttlMs: task.ttlMs,
  pollIntervalMs: task.pollIntervalMs,
});

/**
 * The result of tasks/get. Input requests are the ones still unanswered; a completed task shows the
 * result as recorded (when the recording policy kept less than the whole result, the server must
 * serve the live one instead); a failed task shows its error and never a result.
 */
export const taskView = (task: TaskRecord): DetailedTask => {
  const summary = taskSummary(task);
  switch (task.status) {
    case 'input_required':
      return { ...summary, status: task.status, inputRequests: task.pendingInput };
    case 'completed':
      return { ...summary, status: task.status, result: task.result };
    case 'failed':
      return {
        ...summary,
        status: task.status,
        // Never used: TaskFailed always records an error.
        error: task.error ?? { code: TASK_INTERRUPTED_CODE, message: 'The task failed.' },
      };
    case 'working':
    case 'cancelled':
      return { ...summary, status: task.status };
  }
};

/**
 * Whether the task has outlived its time to live (measured from creation). The server may then
 * fail or forget it; it must not do so earlier.
 */
export const isTaskExpired = (task: TaskRecord, now: number): boolean =>
  task.ttlMs !== null && now >= Date.parse(task.createdAt) + task.ttlMs;
