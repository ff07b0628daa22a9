import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type { DomainError } from '../../domain/errors.js';
import { type ToolPrice, toolCallCost } from '../../domain/money.js';
import { redactParams } from '../../domain/session/redact.js';
import type { Abandonment } from '../active-requests.js';
import type { AgentAccount, AgentAccounts } from '../agent-accounts.js';
import type { ApexConfig } from '../config.js';
import { type ApexConditionName, apexError, invalidParams } from '../errors.js';
import { ABANDONED, type Outcome, type RequestScope } from '../outcome.js';
import type { ToolHooks } from './hooks.js';
import type { ToolCatalog } from './tool-catalog.js';
import { type JsonObject, type ToolResult, toolError } from './tool-definition.js';

export interface CallToolDependencies {
  readonly config: ApexConfig;
  readonly catalog: ToolCatalog;
  readonly accounts: AgentAccounts;
  readonly hooks: ToolHooks;
  /** Records a security incident and suspends the agent (a sandbox escape attempt). */
  readonly reportSandboxEscape: (scope: RequestScope, detail: string) => Promise<void>;
  /** A tool threw: a bug in the tool, logged on stderr; the client only sees an isError result. */
  readonly onToolCrash: (tool: string, error: unknown) => void;
}

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

/**
 * tools/call, in the seed's order: identity → suspended? → permissions → funds (a reservation) →
 * arguments against the input schema → PRE_TOOL hooks → run with the request's AbortSignal →
 * POST_TOOL hooks → charge the actual cost. Every step that ends the call is an event.
 */
export const createCallTool =
  (deps: CallToolDependencies) =>
  async (scope: RequestScope, params: CallToolParams): Promise<Outcome> => {
    const entry = deps.catalog.get(params.name);
    if (entry === undefined)
      return { error: invalidParams(`Unknown tool: ${params.name}. Call tools/list.`, 'params.name') };
    const { tool } = entry;
    const agentSettings = deps.config.agents.get(scope.agent);
    const recordedArguments = redactParams(params.arguments, deps.config.recording.params);
    const requested = scope.recordInSession({
      type: 'RequestToolCall',
      data: {
        requestId: scope.id,
        tool: tool.name,
        ...(recordedArguments === undefined ? {} : { arguments: recordedArguments }),
      },
    });

    const deny = async (name: ApexConditionName, message: string): Promise<Outcome> => {
      const error = apexError(name, message);
      await requested;
      await scope.recordInSession({
        type: 'DenyToolCall',
        data: { requestId: scope.id, tool: tool.name, code: name, reason: message },
      });
      return { error };
    };

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

    const refuseToRun = async (code: string, message: string): Promise<Outcome> => {
      await release(message);
      await scope.recordInSession({
        type: 'DenyToolCall',
        data: { requestId: scope.id, tool: tool.name, code, reason: message },
      });
      return { result: toolError(message) as unknown as Record<string, unknown> };
    };
    if (!entry.validate(params.arguments)) {
      return refuseToRun(
        'INVALID_ARGUMENTS',
        `Invalid arguments for ${tool.name}: ${describeAjvError(entry.validate.errors)}.`,
      );
    }
    const preTool = await deps.hooks.beforeTool({ agent: scope.agent, tool: tool.name, arguments: params.arguments });
    if (preTool.kind === 'veto') {
      if (preTool.condition === 'SANDBOX_ESCAPE_ATTEMPT') {
        await release(preTool.message);
        await deps.reportSandboxEscape(scope, preTool.message);
        return deny('SANDBOX_ESCAPE_ATTEMPT', preTool.message);
      }
      await release(preTool.message);
      return deny(preTool.condition, preTool.message);
    }

    const started = performance.now();
    scope.active.onAbandoned = (abandonment) =>
      settleAbandoned(scope, account, { tool: tool.name, price: tool.price, reservationId, started }, abandonment);
    let result: ToolResult;
    try {
      result = await tool.run(preTool.arguments, {
        agent: scope.agent,
        correlationId: scope.correlationId,
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
      });
    } catch (error) {
      deps.onToolCrash(tool.name, error);
      result = toolError(`Tool ${tool.name} failed unexpectedly.`);
    }
    const durationMs = performance.now() - started;
    if (!scope.active.tryClaim()) return ABANDONED;
    scope.active.onAbandoned = undefined;
    result = await deps.hooks.afterTool({ agent: scope.agent, tool: tool.name, result, durationMs });

    const price = tool.price;
    await account.execute(
      { type: 'ChargeToolCall', data: { reservationId, amount: toolCallCost(price, durationMs), durationMs } },
      scope.metadata(),
    );
    await scope.recordInSession(
      result.isError === true
        ? {
            type: 'RecordToolCallFailure',
            data: { requestId: scope.id, tool: tool.name, durationMs, error: firstText(result) },
          }
        : { type: 'RecordToolCallSuccess', data: { requestId: scope.id, tool: tool.name, durationMs } },
    );
    return { result: result as unknown as Record<string, unknown> };
  };

const firstText = (result: ToolResult): string => {
  const block = result.content.find((content) => content.type === 'text');
  return block !== undefined && 'text' in block ? block.text.slice(0, 1000) : 'tool reported an error';
};

const conditionOf = (error: DomainError): ApexConditionName =>
  error.code === 'INSUFFICIENT_FUNDS' || error.code === 'AGENT_SUSPENDED' || error.code === 'AGENT_NOT_FOUND'
    ? error.code
    : 'AGENT_OVERLOADED';

/** A tool cut off by a timeout or a cancellation ran for a while: charge what it used, then record why it stopped. */
const settleAbandoned = async (
  scope: RequestScope,
  account: AgentAccount,
  call: { readonly tool: string; readonly price: ToolPrice; readonly reservationId: string; readonly started: number },
  abandonment: Abandonment,
): Promise<void> => {
  const { tool, price, reservationId } = call;
  const durationMs = performance.now() - call.started;
  await account.execute(
    { type: 'ChargeToolCall', data: { reservationId, amount: toolCallCost(price, durationMs), durationMs } },
    scope.metadata(),
  );
  await scope.recordInSession({
    type: 'RecordToolCallFailure',
    data: {
      requestId: scope.id,
      tool,
      durationMs,
      error: abandonment.kind === 'timeout' ? 'timed out' : abandonment.kind === 'cancelled' ? 'cancelled' : 'shutdown',
    },
  });
};
