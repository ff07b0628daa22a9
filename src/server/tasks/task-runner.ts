import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type { Logger } from 'pino';
import { toolCallCost } from '../../domain/money.js';
import type { TaskCommand } from '../../domain/task/commands.js';
import { isTerminalStatus, type TaskRecord, type TaskState, taskDecider } from '../../domain/task/decider.js';
import type { TaskEvent } from '../../domain/task/events.js';
import type { EventMetadata, EventStore } from '../../store/event-store.js';
import { isValidId, streamName } from '../../store/stream-name.js';
import type { AgentAccount } from '../agent-accounts.js';
import { Aggregate } from '../aggregate.js';
import { domainEventCodec } from '../event-codec.js';
import type { Instance } from '../instance.js';
import type { ToolContext, ToolDefinition, ToolResult } from '../tools/tool-definition.js';

const taskCodec = domainEventCodec<TaskEvent>();

/** How often a client is told to poll a task. */
export const TASK_POLL_INTERVAL_MS = 1_000;

const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

/** What a task needs of the call that started it: admitted, funds reserved, arguments checked. */
export interface TaskStart {
  readonly tool: ToolDefinition;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly agent: string;
  readonly requestId: string | number;
  readonly correlationId: string;
  readonly account: AgentAccount;
  readonly reservationId: string;
  /** How long the task may run before it is timed out (and the timeout penalty applies). */
  readonly ttlMs: number;
  /** The POST_TOOL hooks, as for a plain call. */
  readonly afterTool: (result: ToolResult, durationMs: number) => Promise<ToolResult>;
  readonly penalizeTimeout: (ttlMs: number) => Promise<void>;
  readonly onToolCrash: (error: unknown) => void;
}

type Ending = { readonly kind: 'cancelled'; readonly reason: string } | { readonly kind: 'timeout' };

/**
 * Tool calls run as tasks (MCP 2026-07-28 tasks extension): the call is answered at once with the
 * task, durable first; the tool runs on in this process, and its whole life is events in
 * `task-<id>` — created, then completed (the result), failed, or cancelled — so tasks/get answers
 * from the log, by any process, after a restart too. Money follows the fiscal protocol of a plain
 * call: reserved at admission, the actual cost charged at the end (also for a cancelled task: the
 * work done), the timeout penalty when the task outlives its TTL.
 */
export class TaskRunner {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly store: EventStore,
    private readonly instance: Instance,
    private readonly logger: Logger,
  ) {}

  /** Records the task (durable on return) and starts the tool; resolves with the task as created. */
  async start(start: TaskStart): Promise<TaskRecord> {
    const taskId = randomUUID();
    const task = await this.load(taskId);
    const created = await this.execute(task, start.agent, start.correlationId, {
      type: 'CreateTask',
      data: {
        taskId,
        requestId: start.requestId,
        correlationId: start.correlationId,
        tool: start.tool.name,
        agent: start.agent,
        ttlMs: start.ttlMs,
        pollIntervalMs: TASK_POLL_INTERVAL_MS,
        at: new Date().toISOString(),
        instance: this.instance,
      },
    });
    if (!created) throw new Error(`task ${taskId} could not be created`);
    const controller = new AbortController();
    this.running.set(taskId, controller);
    void this.run(task, start, controller).finally(() => this.running.delete(taskId));
    return task.state as TaskRecord;
  }

  /** A task as its log tells it; undefined when there is none with this id (or the id cannot be one). */
  async read(taskId: string): Promise<TaskRecord | undefined> {
    if (!isValidId(taskId)) return undefined;
    const state: TaskState = (await this.load(taskId)).state;
    return state.status === 'none' ? undefined : state;
  }

  /** tasks/cancel: stops the tool if it runs here (its end is recorded as it stops); otherwise records it. */
  async cancel(task: TaskRecord, reason: string): Promise<void> {
    const controller = this.running.get(task.taskId);
    if (controller !== undefined) {
      controller.abort({ kind: 'cancelled', reason } satisfies Ending);
      return;
    }
    if (isTerminalStatus(task.status)) return;
    await this.execute(await this.load(task.taskId), task.agent, task.correlationId, {
      type: 'CancelTask',
      data: { reason, at: new Date().toISOString() },
    });
  }

  /** tasks/update: records which pending keys were answered (APEX's task tools ask for none yet). */
  async provideInput(task: TaskRecord, keys: readonly string[]): Promise<void> {
    await this.execute(await this.load(task.taskId), task.agent, task.correlationId, {
      type: 'ProvideTaskInput',
      data: { keys, at: new Date().toISOString() },
    });
  }

  /** Shutdown: every task still running here is cancelled, and its end recorded, before the store closes. */
  async stopAll(reason: string): Promise<void> {
    const stopping = [...this.running.values()];
    for (const controller of stopping) controller.abort({ kind: 'cancelled', reason } satisfies Ending);
    while (this.running.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private load(taskId: string) {
    return Aggregate.load(this.store, streamName.task(taskId), taskDecider, taskCodec);
  }

  private async execute(
    task: Aggregate<TaskCommand, TaskEvent, TaskState>,
    agent: string,
    correlationId: string,
    command: TaskCommand,
  ): Promise<boolean> {
    const metadata: EventMetadata = { agent, correlationId, timestamp: new Date().toISOString() };
    const outcome = await task.execute(command, metadata);
    if (E.isLeft(outcome)) this.logger.warn({ command: command.type, reason: outcome.left.message }, 'task refused');
    return E.isRight(outcome);
  }

  private async run(
    task: Aggregate<TaskCommand, TaskEvent, TaskState>,
    start: TaskStart,
    controller: AbortController,
  ): Promise<void> {
    const { tool, account, reservationId, agent, correlationId } = start;
    const timer = setTimeout(() => controller.abort({ kind: 'timeout' } satisfies Ending), start.ttlMs);
    timer.unref();
    const started = performance.now();
    const context: ToolContext = {
      agent,
      correlationId,
      signal: controller.signal,
      // A task has no request stream to report on; its client polls tasks/get.
      reportProgress: () => undefined,
      log: () => undefined,
      requestFromClient: async (method) => ({
        ok: false,
        error: { code: -32601, message: `${method} is not available inside a task yet` },
      }),
    };
    let result: ToolResult;
    try {
      result = await tool.run(start.arguments, context);
    } catch (error) {
      start.onToolCrash(error);
      result = { content: [{ type: 'text', text: `Tool ${tool.name} failed unexpectedly.` }], isError: true };
    } finally {
      clearTimeout(timer);
    }
    const durationMs = roundMs(performance.now() - started);
    const at = new Date().toISOString();
    const metadata: EventMetadata = { agent, correlationId, timestamp: at };
    try {
      // The work done is charged however the task ends: completed, cancelled or timed out.
      await account.execute(
        { type: 'ChargeToolCall', data: { reservationId, amount: toolCallCost(tool.price, durationMs), durationMs } },
        metadata,
      );
      const ending = controller.signal.aborted ? (controller.signal.reason as Ending) : undefined;
      if (ending?.kind === 'timeout') {
        await start.penalizeTimeout(start.ttlMs);
        await this.execute(task, agent, correlationId, {
          type: 'FailTask',
          data: {
            error: { code: -32034, message: `The task ran longer than its ${start.ttlMs} ms and was stopped.` },
            reason: `timed out after ${start.ttlMs} ms`,
            at,
          },
        });
      } else if (ending?.kind === 'cancelled') {
        await this.execute(task, agent, correlationId, { type: 'CancelTask', data: { reason: ending.reason, at } });
      } else {
        const finished = await start.afterTool(result, durationMs);
        await this.execute(task, agent, correlationId, { type: 'CompleteTask', data: { result: finished, at } });
      }
    } catch (error) {
      this.logger.error({ err: error, task: task.stream }, 'could not record the end of a task');
    }
  }
}
