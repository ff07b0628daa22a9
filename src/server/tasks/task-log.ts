import { type TaskRecord, type TaskState, taskDecider, taskStreamName } from '../../domain/task/decider.js';
import type { TaskEvent } from '../../domain/task/events.js';
import type { EventStore } from '../../store/event-store.js';
import { domainEventCodec } from '../event-codec.js';

const taskCodec = domainEventCodec<TaskEvent>();

/** A task as its log tells it, and the revision it was read at (-1n: no task). */
export interface TaskAsRead {
  readonly task: TaskRecord | undefined;
  readonly revision: bigint;
}

/** Folds `task-<taskId>` from the log: what tasks/get shows, in any process, after a restart too. */
export const readTaskAt = async (store: EventStore, taskId: string): Promise<TaskAsRead> => {
  const stream = taskStreamName(taskId);
  if (stream === undefined) return { task: undefined, revision: -1n };
  let state: TaskState = taskDecider.initialState();
  let revision = -1n;
  for await (const recorded of store.readStream(stream)) {
    state = taskDecider.evolve(state, taskCodec.decode(recorded));
    revision = recorded.revision;
  }
  return { task: state.status === 'none' ? undefined : state, revision };
};

/** The task `taskId`, or undefined when the log has none (or the id cannot name one). */
export const readTask = async (store: EventStore, taskId: string): Promise<TaskRecord | undefined> =>
  (await readTaskAt(store, taskId)).task;
