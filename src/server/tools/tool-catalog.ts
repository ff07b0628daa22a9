import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ApexConfig } from '../config.js';
import type { JsonObject, ToolDefinition } from './tool-definition.js';

/** tools/list page size: large enough for one page in practice, small enough to exercise cursors. */
export const TOOLS_PAGE_SIZE = 50;

export interface CatalogEntry {
  readonly tool: ToolDefinition;
  readonly validate: ValidateFunction;
}

export interface InvalidCursor {
  readonly _tag: 'InvalidCursor';
}

/**
 * Whether calls of a tool may become tasks (tasks extension, 2026-07-28), in the words of 2025-11-25's
 * `execution.taskSupport`. Neither revision has a field for it that fits: 2026-07-28 dropped
 * `execution` (the server decides per request; a task-only tool answers -32021), and APEX does not
 * serve 2025-11-25's tasks, so it goes under APEX's `_meta`.
 */
export const taskSupportOf = (tool: ToolDefinition): 'forbidden' | 'optional' | 'required' =>
  tool.runsAsTask !== true ? 'forbidden' : tool.taskOnly === true ? 'required' : 'optional';

/**
 * What tools/list shows of a tool: MCP's fields, plus APEX's price, category, permissions and (for
 * a tool that may run as a task) task support under `_meta`.
 */
export const describeTool = (tool: ToolDefinition, formatAmount: (micro: bigint) => string): JsonObject => ({
  name: tool.name,
  ...(tool.title === undefined ? {} : { title: tool.title }),
  description: tool.description,
  inputSchema: tool.inputSchema,
  ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema }),
  ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
  _meta: {
    'apex/category': tool.category,
    'apex/price': { perCall: formatAmount(tool.price.perCall), perSecond: formatAmount(tool.price.perSecond) },
    'apex/permissions': tool.permissions,
    ...(tool.runsAsTask === true ? { 'apex/taskSupport': taskSupportOf(tool) } : {}),
  },
});

/**
 * The tools this server offers, in name order (deterministic pages), each with its input schema
 * compiled once. A config entry for a tool overrides its price, category, permissions and description.
 */
export class ToolCatalog {
  private readonly entries = new Map<string, CatalogEntry>();
  private readonly ordered: readonly CatalogEntry[];

  constructor(tools: readonly ToolDefinition[], config: ApexConfig) {
    // MCP 2025-11-25 makes JSON Schema 2020-12 the dialect of a schema that names none; a schema that
    // declares an older draft is compiled as that draft (Ajv2020 refuses them).
    const ajv2020 = new Ajv2020({ allErrors: false, strict: false });
    const ajvDraft07 = new Ajv({ allErrors: false, strict: false });
    const compile = (schema: JsonObject): ValidateFunction => {
      const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
      return /draft-0[4-7]/.test(dialect) ? ajvDraft07.compile(schema) : ajv2020.compile(schema);
    };
    for (const base of tools) {
      const override = config.tools.get(base.name);
      const tool: ToolDefinition =
        override === undefined
          ? base
          : {
              ...base,
              price: override.price,
              category: override.category ?? base.category,
              permissions: override.permissions ?? base.permissions,
              description: override.description ?? base.description,
              ...taskSettings(override.runAsTask, base),
            };
      this.entries.set(tool.name, { tool, validate: compile(tool.inputSchema) });
    }
    this.ordered = [...this.entries.values()].sort((a, b) => (a.tool.name < b.tool.name ? -1 : 1));
  }

  get(name: string): CatalogEntry | undefined {
    return this.entries.get(name);
  }

  get size(): number {
    return this.ordered.length;
  }

  /** One page of tools; the cursor is opaque to clients (a base64 offset). */
  page(cursor: string | undefined): { tools: readonly ToolDefinition[]; nextCursor?: string } | InvalidCursor {
    const offset = cursor === undefined ? 0 : decodeCursor(cursor);
    if (offset === undefined || offset > this.ordered.length) return { _tag: 'InvalidCursor' };
    const end = offset + TOOLS_PAGE_SIZE;
    const tools = this.ordered.slice(offset, end).map((entry) => entry.tool);
    return end < this.ordered.length ? { tools, nextCursor: encodeCursor(end) } : { tools };
  }
}

/**
 * A tool's task settings under the config's `runAsTask`: true makes any tool run as a task (as the
 * tool defines it, or plainly asked for at its start); "required" also makes it task-only; false makes
 * it a plain tool again, never a task and never task-only.
 */
const taskSettings = (
  runAsTask: boolean | 'required' | undefined,
  base: ToolDefinition,
): Pick<ToolDefinition, 'runsAsTask' | 'taskOnly' | 'startsTaskItself'> => {
  switch (runAsTask) {
    case undefined:
      return { runsAsTask: base.runsAsTask ?? false };
    case 'required':
      return { runsAsTask: true, taskOnly: true };
    case true:
      return { runsAsTask: true };
    case false:
      return { runsAsTask: false, taskOnly: false, startsTaskItself: false };
  }
};

export const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString('base64url');

export const decodeCursor = (cursor: string): number | undefined => {
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match === null ? undefined : Number(match[1]);
};
