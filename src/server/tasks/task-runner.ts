import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type { Logger } from 'pino';
import { toolCallCost } from '../../domain/money.js';
import type { TaskCommand } from '../../domain/task/commands.js';
import { isTerminalStatus, type TaskRecord, type TaskState, taskDecider } from '../../domain/task/decider.js';
import type { TaskError, TaskEvent } from '../../domain/task/events.js';
import { missingRequiredClientCapability } from '../../protocol/modern-errors.js';
import type { EventMetadata, EventStore } from '../../store/event-store.js';
import { isValidId, streamName } from '../../store/stream-name.js';
import type { AgentAccount } from '../agent-accounts.js';
import { Aggregate } from '../aggregate.js';
import { apexError, toWireError } from '../errors.js';
import { domainEventCodec } from '../event-codec.js';
import type { Instance } from '../instance.js';
import type { JsonRpcError } from '../outcome.js';
import { MissingClientCapability } from '../tools/multi-round.js';
import {
  type JsonObject,
  type ToolContext,
  type ToolDefinition,
  ToolProtocolError,
  type ToolResult,
} from '../tools/tool-definition.js';
import { readTask } from './task-log.js';
import { TaskQuestions } from './task-questions.js';

const taskCodec = domainEventCodec<TaskEvent>();

/** How often a client is told to poll a task. */
export const TASK_POLL_INTERVAL_MS = 1_000;

const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

/** What a task needs of the call that started it: admitted, funds reserved, arguments checked. */
export interface TaskStart {
  readonly tool: ToolDefinition;
  readonly agent: string;
  readonly requestId: string | number;
  readonly correlationId: string;
  /** The capabilities the starting request declared: what the task may ask the client. */
  readonly clientCapabilities: unknown;
  readonly account: AgentAccount;
  readonly reservationId: string;
  /** How long the task may run before it is timed out (and the timeout penalty applies). */
  readonly ttlMs: number;
  /** The POST_TOOL hooks, as for a plain call. */
  readonly afterTool: (result: ToolResult, durationMs: number) => Promise<ToolResult>;
  readonly penalizeTimeout: (ttlMs: number) => Promise<void>;
  readonly onToolCrash: (error: unknown) => void;
}

/** What a tool running as a task talks to instead of its request. */
export type TaskChannel = Pick<ToolContext, 'signal' | 'requestFromClient'>;

/** A task just created, whose tool is about to run (or runs already, and goes on in the task). */
export interface StartedTask {
  /** The task as created, durable. */
  readonly record: TaskRecord;
  readonly channel: TaskChannel;
  /**
   * Hands the tool's run to the task: when it ends, the work done is charged and the end recorded.
   * `startedAt` (performance.now()) is when the run began.
   */
  readonly adopt: (run: Promise<ToolResult>, startedAt: number) => void;
}

type Ending =
  | { readonly kind: 'cancelled'; readonly reason: string; readonly causationId?: string }
  | { readonly kind: 'timeout' };

/** How the tool's run ended, before the task's own ending (cancelled, timed out) is considered. */
type RunEnd =
  | { readonly kind: 'result'; readonly result: ToolResult }
  | { readonly kind: 'protocol_error'; readonly error: TaskError }
  | { readonly kind: 'missing_capability'; readonly capability: string };

interface RunningTask {
  readonly aggregate: Aggregate<TaskCommand, TaskEvent, TaskState>;
  readonly controller: AbortController;
  readonly questions: TaskQuestions;
}

/** Why tasks/update is refused for a task waiting for input in another process. */
export const elsewhereError = (taskId: string): JsonRpcError => ({
  code: -32603,
  message:
    `Task ${taskId} is waiting for input in another APEX process, which this one cannot hand the answers to. ` +
    'Send tasks/update to the instance running it (route tasks/* by their Mcp-Name header).',
  data: { taskId },
});

/**
 * Tool calls run as tasks (MCP 2026-07-28 tasks extension): the call is answered at once with the
 * task, durable first; the tool runs on in this process, and its whole life is events in
 * `task-<id>` — created, input asked and given, then completed (the result), failed (a protocol
 * error) or cancelled — so tasks/get answers from the log, by any process, after a restart too.
 * Money follows the fiscal protocol of a plain call: reserved at admission, the actual cost charged
 * at the end (also for a cancelled or failed task: the work done), the timeout penalty when the task
 * outlives its TTL; a task that needed a capability its request did not declare is charged nothing.
 */
export class TaskRunner {
  private readonly running = new Map<string, RunningTask>();

  constructor(
    private readonly store: EventStore,
    private readonly instance: Instance,
    private readonly logger: Logger,
  ) {}

  /** Records the task (durable on return); the caller hands it the tool's run with `adopt`. */
  async start(start: TaskStart): Promise<StartedTask> {
    const taskId = randomUUID();
    const aggregate = await this.load(taskId);
    const created = await this.execute(aggregate, start, {
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
    const timer = setTimeout(() => controller.abort({ kind: 'timeout' } satisfies Ending), start.ttlMs);
    timer.unref();
    const questions = new TaskQuestions(controller.signal, start.clientCapabilities, (inputRequests) =>
      this.execute(aggregate, start, {
        type: 'RequestTaskInput',
        data: { inputRequests, at: new Date().toISOString() },
      }),
    );
    this.running.set(taskId, { aggregate, controller, questions });
    return {
      record: aggregate.state as TaskRecord,
      channel: { signal: controller.signal, requestFromClient: questions.ask },
      adopt: (run, startedAt) => {
        void this.settle(aggregate, start, controller, run, startedAt).finally(() => {
          clearTimeout(timer);
          this.running.delete(taskId);
        });
      },
    };
  }

  /** A task as its log tells it; undefined when there is none with this id (or the id cannot be one). */
  read(taskId: string): Promise<TaskRecord | undefined> {
    return isValidId(taskId) ? readTask(this.store, taskId) : Promise.resolve(undefined);
  }

  /**
   * tasks/cancel (the request `causationId`): stops the tool if it runs here (its end is recorded as
   * it stops); otherwise records the cancellation.
   */
  async cancel(task: TaskRecord, reason: string, causationId?: string): Promise<void> {
    const running = this.running.get(task.taskId);
    if (running !== undefined) {
      running.controller.abort({ kind: 'cancelled', reason, causationId } satisfies Ending);
      return;
    }
    if (isTerminalStatus(task.status)) return;
    await this.execute(
      await this.load(task.taskId),
      task,
      { type: 'CancelTask', data: { reason, at: new Date().toISOString() } },
      causationId,
    );
  }

  /**
   * tasks/update: records which pending questions `answers` answers (durable before it returns, so
   * the next tasks/get shows only what is still pending), then hands the answers to the tool.
   * Answers to keys not pending are ignored. A task waiting for input in another process cannot be
   * answered here: its tool would never hear of it.
   */
  async provideInput(
    task: TaskRecord,
    answers: Readonly<Record<string, JsonObject>>,
    causationId: string,
  ): Promise<E.Either<JsonRpcError, void>> {
    const running = this.running.get(task.taskId);
    // Not running here: finished, or working with nothing pending (answers are ignored), or waiting elsewhere.
    if (running === undefined) {
      return task.status === 'input_required' ? E.left(elsewhereError(task.taskId)) : E.right(undefined);
    }
    const outcome = await running.aggregate.execute(
      { type: 'ProvideTaskInput', data: { keys: Object.keys(answers), at: new Date().toISOString() } },
      this.metadataOf(task, causationId),
    );
    if (E.isLeft(outcome)) return E.right(undefined);
    const accepted = outcome.right.flatMap((event) => (event.type === 'TaskInputProvided' ? event.data.keys : []));
    running.questions.answer(Object.fromEntries(accepted.map((key) => [key, answers[key] as JsonObject])));
    return E.right(undefined);
  }

  /** Shutdown: every task still running here is cancelled, and its end recorded, before the store closes. */
  async stopAll(reason: string): Promise<void> {
    for (const { controller } of this.running.values())
      controller.abort({ kind: 'cancelled', reason } satisfies Ending);
    while (this.running.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private load(taskId: string) {
    return Aggregate.load(this.store, streamName.task(taskId), taskDecider, taskCodec);
  }

  /** Every event of a task carries the correlation id of the call that started it; `causationId` names the request that caused it, if another. */
  private metadataOf(
    owner: { readonly agent: string; readonly correlationId: string },
    causationId?: string,
  ): EventMetadata {
    return {
      agent: owner.agent,
      correlationId: owner.correlationId,
      timestamp: new Date().toISOString(),
      ...(causationId === undefined ? {} : { causationId }),
    };
  }

  /** Decides and records `command`; a refusal (the task finished meanwhile) is logged, not thrown. */
  private async execute(
    aggregate: Aggregate<TaskCommand, TaskEvent, TaskState>,
    owner: { readonly agent: string; readonly correlationId: string },
    command: TaskCommand,
    causationId?: string,
  ): Promise<boolean> {
    const outcome = await aggregate.execute(command, this.metadataOf(owner, causationId));
    if (E.isLeft(outcome)) this.logger.warn({ command: command.type, reason: outcome.left.message }, 'task refused');
    return E.isRight(outcome);
  }

  /** How the run ended: a result, or one of the errors a tool may end its call with. */
  private async runEnd(start: TaskStart, run: Promise<ToolResult>): Promise<RunEnd> {
    try {
      return { kind: 'result', result: await run };
    } catch (error) {
      if (error instanceof ToolProtocolError) return { kind: 'protocol_error', error: error.toJsonRpcError() };
      if (error instanceof MissingClientCapability) return { kind: 'missing_capability', capability: error.capability };
      start.onToolCrash(error);
      return {
        kind: 'result',
        result: { content: [{ type: 'text', text: `Tool ${start.tool.name} failed unexpectedly.` }], isError: true },
      };
    }
  }

  private async settle(
    aggregate: Aggregate<TaskCommand, TaskEvent, TaskState>,
    start: TaskStart,
    controller: AbortController,
    run: Promise<ToolResult>,
    startedAt: number,
  ): Promise<void> {
    const { tool, account, reservationId, agent, correlationId } = start;
    const end = await this.runEnd(start, run);
    const durationMs = roundMs(performance.now() - startedAt);
    const at = new Date().toISOString();
    const metadata: EventMetadata = { agent, correlationId, timestamp: at };
    const fail = (error: TaskError, reason: string) =>
      this.execute(aggregate, start, { type: 'FailTask', data: { error, reason, at } });
    try {
      const ending = controller.signal.aborted ? (controller.signal.reason as Ending) : undefined;
      if (ending === undefined && end.kind === 'missing_capability') {
        // As for a plain call: refused for the request's capabilities, so nothing is charged.
        const reason = `Tool ${tool.name} needs the client capability ${end.capability}, which the request that started the task did not declare.`;
        await account.execute({ type: 'ReleaseReservation', data: { reservationId, reason } }, metadata);
        await fail(missingRequiredClientCapability({ [end.capability]: {} }), reason);
        return;
      }
      // The work done is charged however the task ends: completed, failed, cancelled or timed out.
      await account.execute(
        { type: 'ChargeToolCall', data: { reservationId, amount: toolCallCost(tool.price, durationMs), durationMs } },
        metadata,
      );
      if (ending?.kind === 'timeout') {
        await start.penalizeTimeout(start.ttlMs);
        const timedOut = apexError(
          'REQUEST_TIMED_OUT',
          `The task ran longer than its ${start.ttlMs} ms and was stopped; a timeout penalty was charged.`,
        );
        await fail(toWireError(timedOut, 'modern', 'tools/call'), `timed out after ${start.ttlMs} ms`);
      } else if (ending?.kind === 'cancelled') {
        await this.execute(
          aggregate,
          start,
          { type: 'CancelTask', data: { reason: ending.reason, at } },
          ending.causationId,
        );
      } else if (end.kind === 'protocol_error') {
        await fail(end.error, `the tool ended its call with a protocol error (${end.error.code})`);
      } else if (end.kind === 'result') {
        const finished = await start.afterTool(end.result, durationMs);
        await this.execute(aggregate, start, { type: 'CompleteTask', data: { result: finished, at } });
      }
    } catch (error) {
      this.logger.error({ err: error, task: aggregate.stream }, 'could not record the end of a task');
    }
  }
}
