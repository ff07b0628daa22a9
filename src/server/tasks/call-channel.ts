import type { ToolContext } from '../tools/tool-definition.js';
import type { StartedTask } from './task-runner.js';

/** What a running tool reaches the outside through: its request, or the task its call became. */
export type ToolChannel = Pick<ToolContext, 'signal' | 'reportProgress' | 'log' | 'requestFromClient'>;

/**
 * The context of one tool call, talking to its request until the call becomes a task, and to the
 * task from then on (tasks extension, 2026-07-28). A task has no request stream, so progress and
 * log messages stop there; its client polls tasks/get. The switch happens at most once: `becomeTask`
 * starts the task (durable before it returns) and resolves `handedOver` with it.
 */
export class CallChannel {
  private current: ToolChannel;
  private started: StartedTask | undefined;
  private announce: (outcome: StartedTask | { readonly failed: unknown }) => void = () => undefined;
  /** Resolves once the call became a task, or its task could not be started. */
  readonly handedOver = new Promise<StartedTask | { readonly failed: unknown }>((resolve) => {
    this.announce = resolve;
  });

  constructor(request: ToolChannel) {
    this.current = request;
  }

  get task(): StartedTask | undefined {
    return this.started;
  }

  /**
   * Starts the task (`start`) and moves the tool onto it. Only the first call does anything. A
   * task that cannot be started is announced as failed and the error rethrown to the tool.
   */
  async becomeTask(start: () => Promise<StartedTask>): Promise<StartedTask> {
    if (this.started !== undefined) return this.started;
    try {
      this.started = await start();
    } catch (error) {
      this.announce({ failed: error });
      throw error;
    }
    this.current = { ...this.started.channel, reportProgress: () => undefined, log: () => undefined };
    this.announce(this.started);
    return this.started;
  }

  /** The ToolContext handed to the tool: each member goes to the current channel when used. */
  context(
    who: Pick<ToolContext, 'agent' | 'correlationId'>,
    continueAsTask?: ToolContext['continueAsTask'],
  ): ToolContext {
    const channel = () => this.current;
    return {
      agent: who.agent,
      correlationId: who.correlationId,
      get signal() {
        return channel().signal;
      },
      reportProgress: (progress, total, message) => channel().reportProgress(progress, total, message),
      log: (level, data) => channel().log(level, data),
      requestFromClient: (method, params, options) => channel().requestFromClient(method, params, options),
      ...(continueAsTask === undefined ? {} : { continueAsTask }),
    };
  }
}
