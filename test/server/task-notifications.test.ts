import type { Observable, Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/domain/task/events.js';
import type { DetailedTask } from '../../src/domain/task/view.js';
import { domainEventCodec } from '../../src/server/event-codec.js';
import { MAX_WATCHED_TASKS, watchableTasks, watchTasks } from '../../src/server/tasks/task-notifications.js';
import type { EventStore } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { useTempDir } from '../support/sqlite-temp.js';
import { until } from '../support/wait-until.js';

const temp = useTempDir('task-notifications');
const codec = domainEventCodec<TaskEvent>();

const at = (second: number) => new Date(Date.UTC(2026, 7, 1, 12, 0, second)).toISOString();

const created = (taskId: string, agent: string): TaskEvent => ({
  type: 'TaskCreated',
  data: {
    taskId,
    requestId: 1,
    correlationId: `session-1:${taskId}`,
    tool: 'multi_input',
    agent,
    ttlMs: 60_000,
    pollIntervalMs: 1_000,
    at: at(0),
  },
});
const asked: TaskEvent = {
  type: 'TaskInputRequested',
  data: {
    inputRequests: {
      name: { method: 'elicitation/create', params: { message: 'Name?' } },
      proceed: { method: 'elicitation/create', params: { message: 'Proceed?' } },
    },
    at: at(1),
  },
};
const answered = (keys: string[], second: number): TaskEvent => ({
  type: 'TaskInputProvided',
  data: { keys, at: at(second) },
});
const completed: TaskEvent = {
  type: 'TaskCompleted',
  data: { result: { content: [{ type: 'text', text: 'done' }] }, at: at(5) },
};

const append = async (store: EventStore, taskId: string, events: readonly TaskEvent[]) => {
  await store.append(
    `task-${taskId}`,
    'any',
    events.map((event) => ({ ...codec.encode(event), metadata: { timestamp: at(0) } })),
  );
};

let store: EventStore | undefined;
let watching: Subscription[] = [];
afterEach(async () => {
  for (const subscription of watching) subscription.unsubscribe();
  watching = [];
  await store?.close();
  store = undefined;
});

/** What the watch tells, as it tells it. */
const collect = (tasks: Observable<DetailedTask>): DetailedTask[] => {
  const told: DetailedTask[] = [];
  watching.push(tasks.subscribe((task) => told.push(task)));
  return told;
};

describe('watchTasks (notifications/tasks)', () => {
  it('tells each change once, in order, even when the feed replays what the first read already saw', async () => {
    store = openSqliteStore({ path: temp.file() });
    await append(store, 't1', [created('t1', 'alice'), asked]);
    // The head as it was before those events: the feed replays them after the first read has seen them.
    const staleHead: EventStore = Object.assign(Object.create(store) as EventStore, {
      headPosition: async () => -1n,
    });
    const tasks = collect(watchTasks(staleHead, ['t1']));
    // Each change only once the one before was told: the first read must not see it already.
    await until(() => tasks.length === 1, 'the task as it is was told');
    await append(store, 't1', [answered(['name'], 2)]);
    await until(() => tasks.length === 2, 'the first answer was told');
    await append(store, 't1', [answered(['proceed'], 3), completed]);
    await until(() => tasks.at(-1)?.status === 'completed', 'the end was told');
    expect(tasks.map((task) => [task.status, 'inputRequests' in task ? Object.keys(task.inputRequests) : []])).toEqual([
      ['input_required', ['name', 'proceed']],
      ['input_required', ['proceed']],
      ['working', []],
      ['completed', []],
    ]);
    expect(tasks.map((task) => task.lastUpdatedAt)).toEqual([at(1), at(2), at(3), at(5)]);
    expect(tasks.at(-1)).toMatchObject({ taskId: 't1', result: { content: [{ type: 'text', text: 'done' }] } });
  });

  it('watches only the tasks named, told apart by stream', async () => {
    store = openSqliteStore({ path: temp.file() });
    await append(store, 'mine', [created('mine', 'alice')]);
    await append(store, 'other', [created('other', 'alice')]);
    const tasks = collect(watchTasks(store, ['mine']));
    await until(() => tasks.length === 1, 'the task as it is was told');
    await append(store, 'other', [completed]);
    await append(store, 'mine', [completed]);
    await until(() => tasks.at(-1)?.status === 'completed', 'the end was told');
    expect(tasks.map((task) => [task.taskId, task.status])).toEqual([
      ['mine', 'working'],
      ['mine', 'completed'],
    ]);
  });
});

describe('watchableTasks (what a listen honors)', () => {
  it("honors the caller's own tasks only, each once, skipping unknown ids and non-strings", async () => {
    store = openSqliteStore({ path: temp.file() });
    await append(store, 'a1', [created('a1', 'alice')]);
    await append(store, 'b1', [created('b1', 'bob')]);
    expect(await watchableTasks(store, 'alice', ['a1', 'b1', 'missing', 'a1', 42, '../a1'])).toEqual(['a1']);
    expect(await watchableTasks(store, 'bob', ['a1', 'b1'])).toEqual(['b1']);
  });

  it(`looks at the first ${MAX_WATCHED_TASKS} ids only`, async () => {
    store = openSqliteStore({ path: temp.file() });
    const ids = Array.from({ length: MAX_WATCHED_TASKS + 2 }, (_, index) => `t${index}`);
    for (const id of ids) await append(store, id, [created(id, 'alice')]);
    expect(await watchableTasks(store, 'alice', ids)).toEqual(ids.slice(0, MAX_WATCHED_TASKS));
    const unknownFirst = [...Array.from({ length: MAX_WATCHED_TASKS }, (_, index) => `gone${index}`), 't0'];
    expect(await watchableTasks(store, 'alice', unknownFirst)).toEqual([]);
  });
});
