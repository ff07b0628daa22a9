import type { McpRequestParams } from '../../protocol/mcp-params.js';
import type { AgentSettings, ApexConfig } from '../config.js';
import { invalidParams } from '../errors.js';
import type { Handler, Outcome } from '../outcome.js';
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

interface PromptArgument {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

interface PromptDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly arguments: readonly PromptArgument[];
  readonly render: (agent: AgentSettings, args: Readonly<Record<string, string>>) => string;
}

const PROMPTS: readonly PromptDefinition[] = [
  {
    name: 'task',
    title: 'Task prompt',
    description:
      'A task prompt in your persona (name, role, system prompt from the configuration), bound by the fiscal protocol.',
    arguments: [
      { name: 'task_type', description: 'The kind of task, e.g. analysis or code-review', required: true },
      { name: 'description', description: 'What the task is', required: false },
      { name: 'requirements', description: 'What the result must satisfy', required: false },
      { name: 'constraints', description: 'Limits to respect', required: false },
    ],
    render: (agent, args) =>
      [
        `You are ${agent.name}; your role: ${agent.role}.`,
        '',
        `Current task (${args.task_type}): ${args.description ?? 'as given by the user'}`,
        `Requirements: ${args.requirements ?? 'none stated'}`,
        `Constraints: ${args.constraints ?? 'none stated'}`,
        '',
        agent.systemPrompt,
        '',
        'Please complete this task following your guidelines and the fiscal protocol: every tool call is charged to your account, funds are reserved before a tool runs, and a request that times out costs a penalty.',
      ].join('\n'),
  },
];

/** prompts/list, prompts/get and completion/complete (for prompt and resource-template arguments). */
export const promptsApi = (config: ApexConfig): Record<string, Handler> => {
  const byName = new Map(PROMPTS.map((prompt) => [prompt.name, prompt]));
  return {
    'prompts/list': async (scope) => {
      if ((scope.params as McpRequestParams<'prompts/list'>).cursor !== undefined) {
        return { error: invalidParams('unknown cursor: start again without one', 'params.cursor') };
      }
      return {
        result: {
          prompts: PROMPTS.map(({ name, title, description, arguments: args }) => ({
            name,
            title,
            description,
            arguments: args,
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
      const agent = config.agents.get(scope.agent);
      if (agent === undefined)
        return { error: invalidParams(`agent ${scope.agent} has no persona configured`, 'params') };
      return {
        result: {
          description: prompt.description,
          messages: [{ role: 'user', content: { type: 'text', text: prompt.render(agent, args) } }],
        },
      };
    },
    'completion/complete': async (scope): Promise<Outcome> => {
      const { ref, argument } = scope.params as McpRequestParams<'completion/complete'>;
      let candidates: readonly string[] = [];
      if (ref.type === 'ref/prompt' && ref.name === 'task' && argument.name === 'task_type')
        candidates = SUGGESTED_TASK_TYPES;
      else if (ref.type === 'ref/resource' && argument.name === 'agent_id') {
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
