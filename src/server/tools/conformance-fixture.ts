import {
  type ClientAnswer,
  FREE,
  type JsonObject,
  type ToolDefinition,
  type ToolResult,
  toolError,
} from './tool-definition.js';

/**
 * What every tool of the `conformance` toolset shares: free, open to every agent, read-only, in the
 * `conformance` category; and the small helpers their runs use. See docs/conformance.md.
 */

export const NO_ARGUMENTS: JsonObject = { type: 'object', properties: {}, additionalProperties: false };

export const fixture = (
  name: string,
  description: string,
  run: ToolDefinition['run'],
  inputSchema: JsonObject = NO_ARGUMENTS,
  options: Pick<ToolDefinition, 'runsAsTask'> = {},
): ToolDefinition => ({
  name,
  description,
  inputSchema,
  annotations: { readOnlyHint: true, openWorldHint: false },
  category: 'conformance',
  permissions: [],
  price: FREE,
  run,
  ...options,
});

export const oneRequiredString = (name: string, description: string): JsonObject => ({
  type: 'object',
  properties: { [name]: { type: 'string', description } },
  required: [name],
  additionalProperties: false,
});

/** Waits `ms`; resolves false at once when the call is cancelled or times out. */
export const pause = (ms: number, signal: AbortSignal): Promise<boolean> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

export const STOPPED = toolError('The call was cancelled or timed out before it finished.');

/** The text of a sampling result, whose content is one block or (since 2025-11-25) an array of them. */
export const sampledText = (result: JsonObject): string => {
  const blocks: unknown[] = Array.isArray(result.content) ? result.content : [result.content];
  const texts = blocks.flatMap((block) =>
    typeof block === 'object' && block !== null && 'text' in block && typeof block.text === 'string'
      ? [block.text]
      : [],
  );
  return texts.length > 0 ? texts.join('\n') : '(no text in the answer)';
};

export const describeElicitation = (result: JsonObject): string =>
  `The client answered ${String(result.action)}` +
  (result.content === undefined ? '.' : ` with ${JSON.stringify(result.content)}.`);

/** A field of an accepted elicitation's content, as text; undefined when declined, cancelled or absent. */
export const acceptedField = (result: JsonObject, field: string): string | undefined => {
  const content = result.content;
  if (result.action !== 'accept' || typeof content !== 'object' || content === null) return undefined;
  const value = (content as Record<string, unknown>)[field];
  return value === undefined ? undefined : String(value);
};

export const failed = (what: string, answer: ClientAnswer & { ok: false }): ToolResult =>
  toolError(`${what} failed: ${answer.error.message}`);

/** A form elicitation asking for one string field. */
export const askForString = (message: string, field: string): JsonObject => ({
  message,
  requestedSchema: { type: 'object', properties: { [field]: { type: 'string' } }, required: [field] },
});
