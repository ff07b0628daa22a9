import * as E from 'fp-ts/lib/Either.js';
import type { McpRequestParams } from '../../protocol/mcp-params.js';
import { missingRequiredClientCapability } from '../../protocol/modern-errors.js';
import type { AgentSettings, ApexConfig } from '../config.js';
import { invalidParams } from '../errors.js';
import type { Handler, Outcome, RequestScope } from '../outcome.js';
import { InputRequired, MissingClientCapability, type MultiRoundCalls } from '../tools/multi-round.js';
import type { ClientRequestMethod, ContentBlock, JsonObject } from '../tools/tool-definition.js';
import { AUDITOR_PERMISSION } from './resources-api.js';

/** Kinds of task the `task` prompt suggests in completions; any other text is accepted too. */
export const SUGGESTED_TASK_TYPES = [
  'analysis',
  'code-review',
  'data-extraction',
  'planning',
  'research',
  'summarization',
  'translation',
  'writing',
] as const;

/** completion/complete returns at most this many values (MCP's limit). */
const MAX_COMPLETIONS = 100;

export interface PromptArgument {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** Values completion/complete offers for this argument (those starting with what was typed). */
  readonly suggestions?: readonly string[];
}

export interface PromptMessage {
  readonly role: 'user' | 'assistant';
  readonly content: ContentBlock;
}

/** Who asks for a prompt: the agent, and its persona when the configuration has one. */
export interface PromptRequester {
  readonly agent: string;
  readonly persona: AgentSettings | undefined;
  /** The client's answer to the prompt's question (`asks`), when it has one and answered. */
  readonly answer?: JsonObject;
}

export interface PromptDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly arguments: readonly PromptArgument[];
  /**
   * A question for the client before the prompt can be rendered (e.g. an elicitation): a legacy
   * client gets it as a server-to-client request, a 2026-07-28 client as an input_required round.
   */
  readonly asks?: { readonly key: string; readonly method: ClientRequestMethod; readonly params: JsonObject };
  /** The messages for these arguments (the required ones are present), or why this requester cannot have them. */
  readonly render: (
    args: Readonly<Record<string, string>>,
    requester: PromptRequester,
  ) => E.Either<string, readonly PromptMessage[]>;
}

/** An argument as prompts/list shows it (its suggestions are for completion/complete). */
const describeArgument = ({ name, description, required }: PromptArgument) => ({ name, description, required });

const text = (value: string): ContentBlock => ({ type: 'text', text: value });

const PROMPTS: readonly PromptDefinition[] = [
  {
    name: 'task',
    title: 'Task prompt',
    description:
      'A task prompt in your persona (name, role, system prompt from the configuration), bound by the fiscal protocol.',
    arguments: [
      {
        name: 'task_type',
        description: 'The kind of task, e.g. analysis or code-review',
        required: true,
        suggestions: SUGGESTED_TASK_TYPES,
      },
      { name: 'description', description: 'What the task is', required: false },
      { name: 'requirements', description: 'What the result must satisfy', required: false },
      { name: 'constraints', description: 'Limits to respect', required: false },
    ],
    render: (args, { agent, persona }) =>
      persona === undefined
        ? E.left(`agent ${agent} has no persona configured`)
        : E.right([{ role: 'user', content: text(taskPromptText(persona, args)) }]),
  },
];

const taskPromptText = (persona: AgentSettings, args: Readonly<Record<string, string>>): string =>
  [
    `You are ${persona.name}; your role: ${persona.role}.`,
    '',
    `Current task (${args.task_type}): ${args.description ?? 'as given by the user'}`,
    `Requirements: ${args.requirements ?? 'none stated'}`,
    `Constraints: ${args.constraints ?? 'none stated'}`,
    '',
    persona.systemPrompt,
    '',
    'Please complete this task following your guidelines and the fiscal protocol: every tool call is charged to your account, funds are reserved before a tool runs, and a request that times out costs a penalty.',
  ].join('\n');

/**
 * prompts/list, prompts/get and completion/complete (for prompt and resource-template arguments).
 * `extraPrompts` (a toolset's fixtures) are offered after APEX's own.
 */
/** The client's answer to a prompt's question, or the outcome that ends this request instead. */
const askClient = async (
  scope: RequestScope,
  asks: NonNullable<PromptDefinition['asks']>,
  multiRound: MultiRoundCalls,
): Promise<{ readonly answer?: JsonObject } | { readonly outcome: Outcome }> => {
  if (scope.era !== 'modern') {
    const answer = await scope.requestFromClient(asks.method, asks.params);
    return answer.ok ? { answer: answer.result } : {};
  }
  const opened = await multiRound.openRound({
    agent: scope.agent,
    correlationId: scope.correlationId,
    params: scope.params,
    clientCapabilities: scope.clientCapabilities,
    now: Date.now(),
    method: 'prompts/get',
  });
  if (E.isLeft(opened)) return { outcome: { error: opened.left } };
  try {
    const answer = await opened.right.requestFromClient(asks.method, asks.params, { key: asks.key });
    return answer.ok ? { answer: answer.result } : {};
  } catch (error) {
    if (error instanceof InputRequired) return { outcome: { result: opened.right.inputRequired(error) } };
    if (error instanceof MissingClientCapability) {
      return { outcome: { error: missingRequiredClientCapability({ [error.capability]: {} }) } };
    }
    throw error;
  }
};

export const promptsApi = (
  config: ApexConfig,
  extraPrompts: readonly PromptDefinition[] = [],
  multiRound?: MultiRoundCalls,
): Record<string, Handler> => {
  const prompts = [...PROMPTS, ...extraPrompts];
  const byName = new Map<string, PromptDefinition>();
  for (const prompt of prompts) {
    if (byName.has(prompt.name)) throw new Error(`two prompts are named ${prompt.name}`);
    byName.set(prompt.name, prompt);
  }
  return {
    'prompts/list': async (scope) => {
      if ((scope.params as McpRequestParams<'prompts/list'>).cursor !== undefined) {
        return { error: invalidParams('unknown cursor: start again without one', 'params.cursor') };
      }
      return {
        result: {
          prompts: prompts.map(({ name, title, description, arguments: args }) => ({
            name,
            title,
            description,
            arguments: args.map(describeArgument),
          })),
        },
      };
    },
    'prompts/get': async (scope): Promise<Outcome> => {
      const params = scope.params as McpRequestParams<'prompts/get'>;
      const prompt = byName.get(params.name);
      if (prompt === undefined)
        return { error: invalidParams(`Unknown prompt: ${params.name}. Call prompts/list.`, 'params.name') };
      const args = params.arguments ?? {};
      const missing = prompt.arguments.find((argument) => argument.required && args[argument.name] === undefined);
      if (missing !== undefined) {
        return {
          error: invalidParams(`missing required argument ${missing.name}`, `params.arguments.${missing.name}`),
        };
      }
      let answer: JsonObject | undefined;
      if (prompt.asks !== undefined && multiRound !== undefined) {
        const asked = await askClient(scope, prompt.asks, multiRound);
        if ('outcome' in asked) return asked.outcome;
        answer = asked.answer;
      }
      const rendered = prompt.render(args, {
        agent: scope.agent,
        persona: config.agents.get(scope.agent),
        ...(answer === undefined ? {} : { answer }),
      });
      if (E.isLeft(rendered)) return { error: invalidParams(rendered.left, 'params') };
      return { result: { description: prompt.description, messages: rendered.right } };
    },
    'completion/complete': async (scope): Promise<Outcome> => {
      const { ref, argument } = scope.params as McpRequestParams<'completion/complete'>;
      let candidates: readonly string[] = [];
      if (ref.type === 'ref/prompt') {
        const described = byName.get(ref.name)?.arguments.find((candidate) => candidate.name === argument.name);
        candidates = described?.suggestions ?? [];
      } else if (ref.type === 'ref/resource' && argument.name === 'agent_id') {
        const auditor = config.agents.get(scope.agent)?.permissions.includes(AUDITOR_PERMISSION) ?? false;
        candidates = auditor ? [...config.agents.keys()] : [scope.agent];
      }
      const matches = candidates.filter((candidate) => candidate.startsWith(argument.value));
      return {
        result: {
          completion: {
            values: matches.slice(0, MAX_COMPLETIONS),
            total: matches.length,
            hasMore: matches.length > MAX_COMPLETIONS,
          },
        },
      };
    },
  };
};
