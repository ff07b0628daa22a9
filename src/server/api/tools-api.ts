import { formatApx } from '../../domain/money.js';
import { invalidParams } from '../errors.js';
import type { Handler } from '../outcome.js';
import { type CallToolDependencies, createCallTool } from '../tools/call-tool.js';
import { describeTool } from '../tools/tool-catalog.js';
import type { JsonObject } from '../tools/tool-definition.js';
import { cursorOf, isObject } from './params.js';

/** tools/list and tools/call. */
export const toolsApi = (deps: CallToolDependencies): Record<string, Handler> => {
  const callTool = createCallTool(deps);
  return {
    'tools/list': async (scope) => {
      const cursor = cursorOf(scope.params);
      if ('error' in cursor) return cursor;
      const page = deps.catalog.page(cursor.cursor);
      if ('_tag' in page) return { error: invalidParams('unknown cursor: start again without one', 'params.cursor') };
      return {
        result: {
          tools: page.tools.map((tool) => describeTool(tool, formatApx)),
          ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
        },
      };
    },
    'tools/call': async (scope) => {
      const params = scope.params;
      if (!isObject(params)) return { error: invalidParams('tools/call needs params {name, arguments}', 'params') };
      if (typeof params.name !== 'string') return { error: invalidParams('name must be a string', 'params.name') };
      const args = params.arguments ?? {};
      if (!isObject(args)) return { error: invalidParams('arguments must be an object', 'params.arguments') };
      return callTool(scope, { name: params.name, arguments: args as JsonObject });
    },
  };
};
