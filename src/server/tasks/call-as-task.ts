import { taskSummary } from '../../domain/task/view.js';
import { JSON_RPC_ERROR_CODES } from '../../protocol/error-codes.js';
import { declaresTasksExtension, TASKS_EXTENSION_ID } from '../../protocol/modern-envelope.js';
import { missingRequiredClientCapability } from '../../protocol/modern-errors.js';
import type { JsonRpcError, Outcome, RequestScope } from '../outcome.js';
import type { ToolDefinition } from '../tools/tool-definition.js';
import type { StartedTask } from './task-runner.js';

/**
 * What tools/call decides about tasks (tasks extension, 2026-07-28): whether a call becomes one,
 * how a task-only tool refuses a request that cannot get one, and the answer that hands a task out.
 */

/** Whether a call of `tool` by this request becomes a task: the tool may run as one, and the request declared the extension. */
export const becomesTask = (tool: ToolDefinition, scope: Pick<RequestScope, 'era' | 'clientCapabilities'>): boolean =>
  tool.runsAsTask === true && scope.era === 'modern' && declaresTasksExtension(scope.clientCapabilities);

/** A tool that runs only as a task, called by a request that cannot get one: the refusal, and its recorded code. */
export const taskRequired = (
  scope: Pick<RequestScope, 'era'>,
  tool: ToolDefinition,
): { readonly code: string; readonly error: JsonRpcError } =>
  scope.era === 'modern'
    ? {
        code: 'MISSING_CLIENT_CAPABILITY',
        error: missingRequiredClientCapability({ extensions: { [TASKS_EXTENSION_ID]: {} } }),
      }
    : {
        // 2025-11-25's rule for a tool whose taskSupport is "required", called without a task.
        code: 'TASK_REQUIRED',
        error: {
          code: JSON_RPC_ERROR_CODES.METHOD_NOT_FOUND,
          message: `Tool ${tool.name} runs only as a task: call it with MCP 2026-07-28, declaring the ${TASKS_EXTENSION_ID} extension.`,
          data: { tool: tool.name },
        },
      };

/** The CreateTaskResult a call that became a task is answered with, and the session's record of it. */
export const answeredWithTask = (scope: Pick<RequestScope, 'id'>, tool: string, task: StartedTask): Outcome => ({
  result: { ...taskSummary(task.record), resultType: 'task' },
  alsoRecord: [{ type: 'RecordToolCallRunAsTask', data: { requestId: scope.id, tool, taskId: task.record.taskId } }],
});
