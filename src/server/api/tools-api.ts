import { formatApx } from '../../domain/money.js';
import type { McpRequestParams } from '../../protocol/mcp-params.js';
import { invalidParams } from '../errors.js';
import type { Handler } from '../outcome.js';
import { type CallToolDependencies, createCallTool } from '../tools/call-tool.js';
import { describeTool } from '../tools/tool-catalog.js';
import type { JsonObject } from '../tools/tool-definition.js';

/** tools/list and tools/call. */
export const toolsApi = (deps: CallToolDependencies): Record<string, Handler> => {
  const callTool = createCallTool(deps);
  return {
    'tools/list': async (scope) => {
      const { cursor } = scope.params as McpRequestParams<'tools/list'>;
      const page = deps.catalog.page(cursor);
      if ('_tag' in page) return { error: invalidParams('unknown cursor: start again without one', 'params.cursor') };
      return {
        result: {
          tools: page.tools.map((tool) => describeTool(tool, formatApx)),
          ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
        },
      };
    },
    'tools/call': async (scope) => {
      const params = scope.params as McpRequestParams<'tools/call'>;
      return callTool(scope, { name: params.name, arguments: (params.arguments ?? {}) as JsonObject });
    },
  };
};
