import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { TaskCommand } from '../../src/domain/task/commands.js';
import { isTerminalStatus, type TaskState, taskDecider } from '../../src/domain/task/decider.js';
import { taskView } from '../../src/domain/task/view.js';

const at = '2026-08-01T12:00:00.000Z';
const key = fc.constantFrom('a', 'b', 'c', 'd');

const command: fc.Arbitrary<TaskCommand> = fc.oneof(
  fc.constant<TaskCommand>({
    type: 'CreateTask',
    data: {
      taskId: 't',
      requestId: 1,
      correlationId: 'c',
      tool: 'x',
      agent: 'a',
      ttlMs: null,
      pollIntervalMs: 100,
      at,
    },
  }),
  fc.uniqueArray(key, { minLength: 1, maxLength: 2 }).map<TaskCommand>((keys) => ({
    type: 'RequestTaskInput',
    data: { inputRequests: Object.fromEntries(keys.map((k) => [k, { method: 'elicitation/create' }])), at },
  })),
  fc.array(key, { maxLength: 3 }).map<TaskCommand>((keys) => ({ type: 'ProvideTaskInput', data: { keys, at } })),
  fc.constant<TaskCommand>({ type: 'CompleteTask', data: { result: { content: [] }, at } }),
  fc.constant<TaskCommand>({
    type: 'FailTask',
    data: { error: { code: -32603, message: 'm' }, reason: 'r', at },
  }),
  fc.constant<TaskCommand>({ type: 'CancelTask', data: { reason: 'r', at } }),
  fc.constant<TaskCommand>({ type: 'RecoverTask', data: { reason: 'r', at } }),
);

const ALLOWED: Readonly<Record<TaskState['status'], readonly TaskState['status'][]>> = {
  none: ['none', 'working'],
  working: ['working', 'input_required', 'completed', 'failed', 'cancelled'],
  input_required: ['input_required', 'working', 'completed', 'failed', 'cancelled'],
  completed: ['completed'],
  failed: ['failed'],
  cancelled: ['cancelled'],
};

describe('any sequence of task commands', () => {
  it('follows the status machine: terminal states are final, input_required has input pending', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 12 }), (commands) => {
        let state = taskDecider.initialState();
        for (const next of commands) {
          const decision = taskDecider.decide(next, state);
          if (E.isLeft(decision)) continue;
          const before = state.status;
          for (const event of decision.right) state = taskDecider.evolve(state, event);
          expect(ALLOWED[before]).toContain(state.status);
          if (state.status === 'none') continue;
          if (before !== 'none' && isTerminalStatus(before)) expect(decision.right).toEqual([]);
          const pending = Object.keys(state.pendingInput).length;
          expect(state.status === 'input_required').toBe(pending > 0);
          expect(taskView(state).status).toBe(state.status);
        }
      }),
      { numRuns: 500 },
    );
  });
});
