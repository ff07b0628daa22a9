import type { TaskRecord } from '../../domain/task/decider.js';
import { taskView } from '../../domain/task/view.js';
import { declaresTasksExtension, TASKS_EXTENSION_ID } from '../../protocol/modern-envelope.js';
import { missingRequiredClientCapability } from '../../protocol/modern-errors.js';
import { invalidParams, methodNotFound } from '../errors.js';
import type { Handler, Outcome, RequestScope } from '../outcome.js';
import type { TaskRunner } from '../tasks/task-runner.js';

/**
 * tasks/get, tasks/update and tasks/cancel (MCP 2026-07-28 tasks extension), answered from the
 * task's log. A task is shown only to the agent that started it; to anyone else, as to an unknown
 * id, it does not exist (-32602).
 */
export const tasksApi = (tasks: TaskRunner): Record<string, Handler> => {
  const withTask = async (scope: RequestScope, act: (task: TaskRecord) => Promise<Outcome>): Promise<Outcome> => {
    if (scope.era !== 'modern') return { error: methodNotFound(scope.method) };
    if (!declaresTasksExtension(scope.clientCapabilities)) {
      return { error: missingRequiredClientCapability({ extensions: { [TASKS_EXTENSION_ID]: {} } }) };
    }
    const taskId = (scope.params as { taskId?: unknown } | undefined)?.taskId;
    if (typeof taskId !== 'string') return { error: invalidParams('params.taskId must be a string', 'params.taskId') };
    const task = await tasks.read(taskId);
    if (task === undefined || task.agent !== scope.agent) {
      return {
        error: { ...invalidParams(`Unknown task: ${taskId.slice(0, 100)}`, 'params.taskId'), data: { taskId } },
      };
    }
    return act(task);
  };
  return {
    'tasks/get': (scope) => withTask(scope, async (task) => ({ result: { ...taskView(task) } })),
    'tasks/update': (scope) =>
      withTask(scope, async (task) => {
        const responses = (scope.params as { inputResponses?: unknown } | undefined)?.inputResponses;
        const keys = typeof responses === 'object' && responses !== null ? Object.keys(responses) : [];
        await tasks.provideInput(task, keys);
        return { result: {} };
      }),
    'tasks/cancel': (scope) =>
      withTask(scope, async (task) => {
        await tasks.cancel(task, 'cancelled by the client (tasks/cancel)');
        return { result: {} };
      }),
  };
};
