import type { RequestId } from '../event-definition.js';
import type { Instance } from '../session/events.js';
import type { InputRequests, TaskError } from './events.js';

/** Commands on one task (stream `task-<taskId>`). `at` is the server's clock, ISO-8601 UTC. */
export type TaskCommand =
  | {
      readonly type: 'CreateTask';
      readonly data: {
        readonly taskId: string;
        readonly requestId: RequestId;
        readonly correlationId: string;
        readonly tool: string;
        readonly agent: string;
        readonly ttlMs: number | null;
        readonly pollIntervalMs: number;
        readonly at: string;
        readonly statusMessage?: string;
        readonly instance?: Instance;
      };
    }
  | {
      readonly type: 'RequestTaskInput';
      readonly data: { readonly inputRequests: InputRequests; readonly at: string; readonly statusMessage?: string };
    }
  /** tasks/update: the keys the client answered, whichever they are. */
  | { readonly type: 'ProvideTaskInput'; readonly data: { readonly keys: readonly string[]; readonly at: string } }
  | { readonly type: 'CompleteTask'; readonly data: { readonly result: unknown; readonly at: string } }
  | {
      readonly type: 'FailTask';
      readonly data: { readonly error: TaskError; readonly reason: string; readonly at: string };
    }
  /** tasks/cancel. */
  | { readonly type: 'CancelTask'; readonly data: { readonly reason: string; readonly at: string } }
  /** After a restart: the process that ran the task is gone. */
  | { readonly type: 'RecoverTask'; readonly data: { readonly reason: string; readonly at: string } };
