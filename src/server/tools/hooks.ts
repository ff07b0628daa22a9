import type { ApexConditionName } from '../errors.js';
import type { JsonObject, ToolResult } from './tool-definition.js';

export interface BeforeToolContext {
  readonly agent: string;
  readonly tool: string;
  readonly arguments: JsonObject;
}

export type BeforeToolDecision =
  | { readonly kind: 'proceed'; readonly arguments: JsonObject }
  | { readonly kind: 'veto'; readonly condition: ApexConditionName; readonly message: string };

export interface AfterToolContext {
  readonly agent: string;
  readonly tool: string;
  readonly result: ToolResult;
  readonly durationMs: number;
}

/** PRE_TOOL hooks may rewrite a call's arguments or veto it; POST_TOOL hooks may rewrite its result. */
export interface ToolHook {
  readonly name: string;
  readonly beforeTool?: (context: BeforeToolContext) => BeforeToolDecision | Promise<BeforeToolDecision>;
  readonly afterTool?: (context: AfterToolContext) => ToolResult | Promise<ToolResult>;
}

/** Runs hooks in registration order; the first veto stops the chain. */
export class ToolHooks {
  private readonly hooks: ToolHook[] = [];

  register(hook: ToolHook): void {
    this.hooks.push(hook);
  }

  async beforeTool(context: BeforeToolContext): Promise<BeforeToolDecision> {
    let args = context.arguments;
    for (const hook of this.hooks) {
      if (hook.beforeTool === undefined) continue;
      const decision = await hook.beforeTool({ ...context, arguments: args });
      if (decision.kind === 'veto') return decision;
      args = decision.arguments;
    }
    return { kind: 'proceed', arguments: args };
  }

  async afterTool(context: AfterToolContext): Promise<ToolResult> {
    let result = context.result;
    for (const hook of this.hooks) {
      if (hook.afterTool !== undefined) result = await hook.afterTool({ ...context, result });
    }
    return result;
  }
}
