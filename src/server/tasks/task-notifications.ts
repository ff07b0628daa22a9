import { concat, concatMap, from, map, mergeMap, type Observable } from 'rxjs';
import { type TaskRecord, type TaskState, taskDecider, taskStreamName } from '../../domain/task/decider.js';
import type { TaskEvent } from '../../domain/task/events.js';
import { type DetailedTask, taskView } from '../../domain/task/view.js';
import type { EventStore } from '../../store/event-store.js';
import { domainEventCodec } from '../event-codec.js';
import { readTask, readTaskAt } from './task-log.js';

const taskCodec = domainEventCodec<TaskEvent>();

/** How many task ids of one subscriptions/listen are considered; the ids beyond are not honored. */
export const MAX_WATCHED_TASKS = 64;

/**
 * The task ids of a listen request's `notifications.taskIds` that it may watch: among the first
 * MAX_WATCHED_TASKS, the tasks that exist and that `agent` started (to anyone else a task does not
 * exist), each once. Anything else in the list is left out of what is honored.
 */
export const watchableTasks = async (
  store: EventStore,
  agent: string,
  wanted: readonly unknown[],
): Promise<string[]> => {
  const honored: string[] = [];
  for (const taskId of wanted.slice(0, MAX_WATCHED_TASKS)) {
    if (typeof taskId !== 'string' || honored.includes(taskId)) continue;
    const task: TaskRecord | undefined = await readTask(store, taskId);
    if (task?.agent === agent) honored.push(taskId);
  }
  return honored;
};

/** A watched task: its state, and the last revision of its stream folded into it. */
interface Watched {
  state: TaskState;
  revision: bigint;
}

/**
 * notifications/tasks for a listen stream (tasks extension, 2026-07-28): each watched task as
 * tasks/get would show it — first as it is now, then after each of its events, whichever process
 * wrote it (the store's live feed, from before the first read, so no change is missed and none is
 * told twice). One notification per change, in the order they happened.
 */
export const watchTasks = (store: EventStore, taskIds: readonly string[]): Observable<DetailedTask> => {
  const taskOfStream = new Map<string, string>();
  for (const taskId of taskIds) {
    const stream = taskStreamName(taskId);
    if (stream !== undefined) taskOfStream.set(stream, taskId);
  }
  const watched = new Map<string, Watched>();
  const shown = (state: TaskState): DetailedTask[] => (state.status === 'none' ? [] : [taskView(state)]);
  return from(store.headPosition()).pipe(
    mergeMap((head) =>
      concat(
        from(taskOfStream.values()).pipe(
          concatMap((taskId) => from(readTaskAt(store, taskId)).pipe(map((read) => ({ taskId, read })))),
          mergeMap(({ taskId, read }) => {
            const state: TaskState = read.task ?? taskDecider.initialState();
            watched.set(taskId, { state, revision: read.revision });
            return shown(state);
          }),
        ),
        // Every event after `head`: those the first reads already saw are skipped by revision.
        store.subscribeAll(head).pipe(
          mergeMap((event) => {
            const taskId = taskOfStream.get(event.stream);
            const task = taskId === undefined ? undefined : watched.get(taskId);
            if (task === undefined || event.revision <= task.revision) return [];
            task.state = taskDecider.evolve(task.state, taskCodec.decode(event));
            task.revision = event.revision;
            return shown(task.state);
          }),
        ),
      ),
    ),
  );
};
