import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type { DomainError } from '../../domain/errors.js';
import { type ToolPrice, toolCallCost } from '../../domain/money.js';
import type { SessionCommand } from '../../domain/session/commands.js';
import { redactParams } from '../../domain/session/redact.js';
import { missingRequiredClientCapability } from '../../protocol/modern-errors.js';
import type { Abandonment } from '../active-requests.js';
import type { AgentAccount, AgentAccounts } from '../agent-accounts.js';
import type { ApexConfig } from '../config.js';
import { type ApexConditionName, apexError, invalidParams } from '../errors.js';
import { ABANDONED, type Outcome, type RequestScope } from '../outcome.js';
import { answeredWithTask, becomesTask, taskRequired } from '../tasks/call-as-task.js';
import { CallChannel } from '../tasks/call-channel.js';
import type { TaskRunner } from '../tasks/task-runner.js';
import type { ToolHooks } from './hooks.js';
import { InputRequired, MissingClientCapability, type MultiRoundCalls } from './multi-round.js';
import type { ToolCatalog } from './tool-catalog.js';
import { type JsonObject, ToolProtocolError, type ToolResult, toolError } from './tool-definition.js';

export interface CallToolDependencies {
  readonly config: ApexConfig;
  readonly catalog: ToolCatalog;
  readonly accounts: AgentAccounts;
  readonly hooks: ToolHooks;
  /** Records a security incident and suspends the agent (a sandbox escape attempt). */
  readonly reportSandboxEscape: (scope: RequestScope, detail: string) => Promise<void>;
  /** A tool threw (anything but a ToolProtocolError): a bug in the tool, logged on stderr; the client only sees an isError result. */
  readonly onToolCrash: (tool: string, error: unknown) => void;
  /** Rounds of 2026-07-28 calls whose tool needs the client (multi round-trip requests). */
  readonly multiRound: MultiRoundCalls;
  /** Long-running calls for clients that declare the tasks extension. */
  readonly tasks: TaskRunner;
  /** Charges the seed's timeout penalty (a task that outlives its TTL). */
  readonly penalizeTimeout: (scope: RequestScope, ttlMs: number) => Promise<void>;
}

/** How long a task may run before it is stopped and penalised like a request past its TTL. */
export const TASK_TTL_MS = 3_600_000;

interface CallToolParams {
  readonly name: string;
  readonly arguments: JsonObject;
}

const describeAjvError = (errors: readonly { instancePath: string; message?: string }[] | null | undefined) => {
  const first = errors?.[0];
  return first === undefined ? 'invalid arguments' : `arguments${first.instancePath} ${first.message ?? 'is invalid'}`;
};

const hasAllPermissions = (held: readonly string[], required: readonly string[]): boolean =>
  required.every((permission) => held.includes(permission));

const conditionOf = (error: DomainError): ApexConditionName =>
  error.code === 'INSUFFICIENT_FUNDS' || error.code === 'AGENT_SUSPENDED' || error.code === 'AGENT_NOT_FOUND'
    ? error.code
    : 'AGENT_OVERLOADED';

const firstText = (result: ToolResult): string => {
  const block = result.content.find((content) => content.type === 'text');
  return block !== undefined && 'text' in block ? block.text.slice(0, 1000) : 'tool reported an error';
};

/** Milliseconds with microsecond precision: what the log keeps of a duration. */
const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * tools/call, in the seed's order: identity → suspended? → permissions → funds (a reservation) →
 * arguments against the input schema → PRE_TOOL hooks → run with the request's AbortSignal →
 * POST_TOOL hooks → charge the actual cost. Every step that ends the call is an event. A tool that
 * throws a ToolProtocolError ends the call with that JSON-RPC error, charged like a failed call.
 *
 * Two commits per call: the admission (RequestReceived, ToolCallRequested, FundsReserved) is durable
 * before the tool runs; the settlement (ToolCallCharged, the tool's outcome, the request's end)
 * is durable before the response is written. The connection records the closing session events.
 *
 * Tasks (2026-07-28, a request declaring the tasks extension, a tool that `runsAsTask`): the call is
 * answered with the task as soon as it is durable — at the start, or when the tool calls
 * `continueAsTask` after asking its first questions by multi round-trip — and the task settles the
 * reservation when the tool ends (task-runner.ts). A `taskOnly` tool is refused, before anything is
 * reserved, to a request that cannot get a task.
 */
export const createCallTool =
  (deps: CallToolDependencies) =>
  async (scope: RequestScope, params: CallToolParams): Promise<Outcome> => {
    const entry = deps.catalog.get(params.name);
    if (entry === undefined) {
      return { error: invalidParams(`Unknown tool: ${params.name}. Call tools/list.`, 'params.name') };
    }
    const { tool } = entry;
    // A 2026-07-28 call may be a later round of a multi round-trip call: its state must verify, and
    // not have been used before by any process on the store, first.
    const opened =
      scope.era === 'modern'
        ? await deps.multiRound.openRound({
            agent: scope.agent,
            correlationId: scope.correlationId,
            params: scope.params,
            clientCapabilities: scope.clientCapabilities,
            now: Date.now(),
          })
        : undefined;
    if (opened !== undefined && E.isLeft(opened)) return { error: opened.left };
    const round = opened?.right;
    const recordedArguments = redactParams(params.arguments, deps.config.recording.params);
    const requested = scope.recordInSession({
      type: 'RequestToolCall',
      data: {
        requestId: scope.id,
        tool: tool.name,
        ...(recordedArguments === undefined ? {} : { arguments: recordedArguments }),
        ...(round === undefined || round.number === 1
          ? {}
          : { continues: { call: round.call, round: round.number, inputProvided: [...round.provided] } }),
      },
    });
    // Awaited below on every path that gets that far; this keeps a failed store from becoming an unhandled rejection.
    requested.catch(() => undefined);
    const denial = (code: string, reason: string): SessionCommand => ({
      type: 'DenyToolCall',
      data: { requestId: scope.id, tool: tool.name, code, reason },
    });
    const deny = (name: ApexConditionName, message: string, settling: Promise<unknown>[] = []): Outcome => ({
      error: apexError(name, message),
      alsoRecord: [denial(name, message)],
      settling: [requested, ...settling],
    });

    const asTask = becomesTask(tool, scope);
    if (tool.runsAsTask === true && tool.taskOnly === true && !asTask) {
      const refused = taskRequired(scope, tool);
      return { error: refused.error, alsoRecord: [denial(refused.code, refused.error.message)], settling: [requested] };
    }

    const agentSettings = deps.config.agents.get(scope.agent);
    if (agentSettings === undefined) return deny('AGENT_NOT_FOUND', `Agent ${scope.agent} is not configured.`);
    const account = await deps.accounts.get(scope.agent);
    if (account.state.status === 'suspended') {
      return deny('AGENT_SUSPENDED', 'Your account is suspended; an administrator must reinstate it.');
    }
    if (!hasAllPermissions(agentSettings.permissions, tool.permissions)) {
      const missing = tool.permissions.filter((permission) => !agentSettings.permissions.includes(permission));
      return deny('PERMISSION_DENIED', `Tool ${tool.name} needs the permission(s) ${missing.join(', ')}.`);
    }

    const reservationId = randomUUID();
    const reservation = await account.execute(
      {
        type: 'ReserveFunds',
        data: { reservationId, tool: tool.name, amount: tool.price.perCall, correlationId: scope.correlationId },
      },
      scope.metadata(),
    );
    if (E.isLeft(reservation)) return deny(conditionOf(reservation.left), reservation.left.message);
    await requested;
    const release = (reason: string) =>
      account.execute({ type: 'ReleaseReservation', data: { reservationId, reason } }, scope.metadata());
    if (scope.active.isClaimed) {
      // Timed out or cancelled while funds were being reserved: the tool never ran.
      await release('request ended before the tool ran');
      return ABANDONED;
    }

    if (!entry.validate(params.arguments)) {
      const message = `Invalid arguments for ${tool.name}: ${describeAjvError(entry.validate.errors)}.`;
      return {
        result: toolError(message) as unknown as Record<string, unknown>,
        alsoRecord: [denial('INVALID_ARGUMENTS', message)],
        settling: [release(message)],
      };
    }
    const preTool = await deps.hooks.beforeTool({ agent: scope.agent, tool: tool.name, arguments: params.arguments });
    if (preTool.kind === 'veto') {
      const released = release(preTool.message);
      if (preTool.condition === 'SANDBOX_ESCAPE_ATTEMPT') {
        await released;
        await deps.reportSandboxEscape(scope, preTool.message);
      }
      return deny(preTool.condition, preTool.message, [released]);
    }

    const channel = new CallChannel({
      signal: scope.active.signal,
      reportProgress: (progress, total, message) => {
        if (scope.progressToken === undefined || scope.active.isClaimed) return;
        scope.notify('notifications/progress', {
          progressToken: scope.progressToken,
          progress,
          ...(total === undefined ? {} : { total }),
          ...(message === undefined ? {} : { message }),
        });
      },
      log: scope.log,
      requestFromClient: round?.requestFromClient ?? scope.requestFromClient,
    });
    /** The call becomes a task: the request is answered with it, and the task settles the reservation. */
    const becomeTask = () =>
      channel.becomeTask(async () => {
        try {
          return await deps.tasks.start({
            tool,
            agent: scope.agent,
            requestId: scope.id,
            correlationId: scope.correlationId,
            clientCapabilities: scope.clientCapabilities,
            account,
            reservationId,
            ttlMs: Math.max(TASK_TTL_MS, deps.config.limits.requestTtlMs),
            afterTool: (result, durationMs) =>
              deps.hooks.afterTool({ agent: scope.agent, tool: tool.name, result, durationMs }),
            penalizeTimeout: (ttlMs) => deps.penalizeTimeout(scope, ttlMs),
            onToolCrash: (error) => deps.onToolCrash(tool.name, error),
          });
        } catch (error) {
          await release('the task could not be recorded');
          throw error;
        }
      });
    const startsTaskItself = asTask && tool.startsTaskItself === true;
    const context = channel.context(
      { agent: scope.agent, correlationId: scope.correlationId },
      startsTaskItself
        ? async () => {
            // A request that ended meanwhile is settled by whoever ended it; the tool sees its signal.
            if (channel.task !== undefined || !claim(scope)) return;
            await becomeTask();
          }
        : undefined,
    );

    if (asTask && !startsTaskItself) {
      // Answered at once with a task, durable first; the tool runs on and settles its reservation itself.
      if (!claim(scope)) {
        await release('request ended before the tool ran');
        return ABANDONED;
      }
      const task = await becomeTask();
      const startedAt = performance.now();
      task.adopt(
        Promise.resolve().then(() => tool.run(preTool.arguments, context)),
        startedAt,
      );
      return answeredWithTask(scope, tool.name, task);
    }

    const started = performance.now();
    scope.active.onAbandoned = (abandonment) =>
      settleAbandoned(scope, account, { tool: tool.name, price: tool.price, reservationId, started }, abandonment);
    const run = Promise.resolve().then(() => tool.run(preTool.arguments, context));
    if (startsTaskItself) {
      // The tool decides when its call becomes a task (after the questions it asks first).
      const first = await Promise.race([run.then(noTask, noTask), channel.handedOver]);
      if (first !== undefined && 'failed' in first) throw first.failed;
      if (first !== undefined) {
        first.adopt(run, started);
        return answeredWithTask(scope, tool.name, first);
      }
    }
    let result: ToolResult;
    try {
      result = await run;
    } catch (error) {
      if (round !== undefined && error instanceof InputRequired) {
        // This round ends here, charging nothing; the call goes on when the client answers.
        if (!claim(scope)) return ABANDONED;
        return {
          result: round.inputRequired(error),
          alsoRecord: [
            {
              type: 'RecordToolCallInputRequired',
              data: {
                requestId: scope.id,
                tool: tool.name,
                call: round.call,
                round: round.number,
                inputKeys: round.pendingKeys(error),
              },
            },
          ],
          settling: [
            release(`input required from the client (${error.request.method}); the call goes on in a later round`),
          ],
        };
      }
      if (round !== undefined && error instanceof MissingClientCapability) {
        if (!claim(scope)) return ABANDONED;
        const reason = `Tool ${tool.name} needs the client capability ${error.capability}, which this request did not declare.`;
        return {
          error: missingRequiredClientCapability({ [error.capability]: {} }),
          alsoRecord: [denial('MISSING_CLIENT_CAPABILITY', reason)],
          settling: [release(reason)],
        };
      }
      if (error instanceof ToolProtocolError) {
        // The tool could not produce a result: the call ends with its error, charged like a failed call.
        const durationMs = roundMs(performance.now() - started);
        if (!claim(scope)) return ABANDONED;
        const protocolError = error.toJsonRpcError();
        return {
          error: protocolError,
          alsoRecord: [
            {
              type: 'RecordToolCallFailure',
              data: {
                requestId: scope.id,
                tool: tool.name,
                durationMs,
                error: `protocol error ${protocolError.code}: ${protocolError.message}`,
              },
            },
          ],
          settling: [charge(account, scope, tool.price, reservationId, durationMs)],
        };
      }
      deps.onToolCrash(tool.name, error);
      result = toolError(`Tool ${tool.name} failed unexpectedly.`);
    }
    const durationMs = roundMs(performance.now() - started);
    if (!claim(scope)) return ABANDONED;
    result = await deps.hooks.afterTool({ agent: scope.agent, tool: tool.name, result, durationMs });

    return {
      result: result as unknown as Record<string, unknown>,
      alsoRecord: [
        result.isError === true
          ? {
              type: 'RecordToolCallFailure',
              data: { requestId: scope.id, tool: tool.name, durationMs, error: firstText(result) },
            }
          : { type: 'RecordToolCallSuccess', data: { requestId: scope.id, tool: tool.name, durationMs } },
      ],
      settling: [charge(account, scope, tool.price, reservationId, durationMs)],
    };
  };

const noTask = (): undefined => undefined;

/** Claims the request for this handler's outcome; false when a timeout or cancellation got there first. */
const claim = (scope: RequestScope): boolean => {
  if (!scope.active.tryClaim()) return false;
  scope.active.onAbandoned = undefined;
  return true;
};

/** Charges the call's actual cost against its reservation. */
const charge = (
  account: AgentAccount,
  scope: RequestScope,
  price: ToolPrice,
  reservationId: string,
  durationMs: number,
): Promise<unknown> =>
  account.execute(
    { type: 'ChargeToolCall', data: { reservationId, amount: toolCallCost(price, durationMs), durationMs } },
    scope.metadata(),
  );

/** A tool cut off by a timeout or a cancellation ran for a while: charge what it used, then record why it stopped. */
const settleAbandoned = async (
  scope: RequestScope,
  account: AgentAccount,
  call: { readonly tool: string; readonly price: ToolPrice; readonly reservationId: string; readonly started: number },
  abandonment: Abandonment,
): Promise<void> => {
  const { tool, price, reservationId } = call;
  const durationMs = roundMs(performance.now() - call.started);
  const charged = account.execute(
    { type: 'ChargeToolCall', data: { reservationId, amount: toolCallCost(price, durationMs), durationMs } },
    scope.metadata(),
  );
  const recorded = scope.recordInSession({
    type: 'RecordToolCallFailure',
    data: {
      requestId: scope.id,
      tool,
      durationMs,
      error: abandonment.kind === 'timeout' ? 'timed out' : abandonment.kind === 'cancelled' ? 'cancelled' : 'shutdown',
    },
  });
  await Promise.all([charged, recorded]);
};
