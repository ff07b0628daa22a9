import * as E from 'fp-ts/lib/Either.js';
import type { TaskRecord } from '../../domain/task/decider.js';
import { taskView } from '../../domain/task/view.js';
import { declaresTasksExtension, TASKS_EXTENSION_ID } from '../../protocol/modern-envelope.js';
import { missingRequiredClientCapability } from '../../protocol/modern-errors.js';
import { invalidParams, methodNotFound } from '../errors.js';
import type { Handler, Outcome, RequestScope } from '../outcome.js';
import type { TaskRunner } from '../tasks/task-runner.js';
import type { JsonObject } from '../tools/tool-definition.js';

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * tasks/get, tasks/update and tasks/cancel (MCP 2026-07-28 tasks extension), answered from the
 * task's log. A task is shown only to the agent that started it; to anyone else, as to an unknown
 * id, it does not exist (-32602). tasks/update hands the client's answers to the questions the task
 * waits on; tasks/cancel stops it. Both are acknowledged once what they changed is durable, and
 * what they changed is recorded with the request that changed it (its correlation id as causation).
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
        error: {
          ...invalidParams(`Unknown task: ${taskId.slice(0, 100)}`, 'params.taskId'),
          data: { taskId: taskId.slice(0, 200) },
        },
      };
    }
    return act(task);
  };
  return {
    'tasks/get': (scope) => withTask(scope, async (task) => ({ result: { ...taskView(task) } })),
    'tasks/update': (scope) =>
      withTask(scope, async (task) => {
        const responses = (scope.params as { inputResponses?: unknown } | undefined)?.inputResponses;
        if (!isObject(responses)) {
          return {
            error: invalidParams(
              'params.inputResponses must be an object: the answers, by the keys of the inputRequests tasks/get showed',
              'params.inputResponses',
            ),
          };
        }
        // An answer is an object (an ElicitResult, CreateMessageResult or ListRootsResult); anything
        // else answers nothing, and its question stays pending. Keys not pending are ignored.
        const answers = Object.fromEntries(
          Object.entries(responses).filter((entry): entry is [string, JsonObject] => isObject(entry[1])),
        );
        const provided = await tasks.provideInput(task, answers, scope.correlationId);
        return E.isLeft(provided) ? { error: provided.left } : { result: {} };
      }),
    'tasks/cancel': (scope) =>
      withTask(scope, async (task) => {
        await tasks.cancel(task, 'cancelled by the client (tasks/cancel)', scope.correlationId);
        return { result: {} };
      }),
  };
};
