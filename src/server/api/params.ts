import { invalidParams } from '../errors.js';
import type { JsonRpcError } from '../outcome.js';

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The optional `cursor` of a list request. */
export const cursorOf = (params: unknown): { cursor: string | undefined } | { error: JsonRpcError } => {
  if (params === undefined || params === null) return { cursor: undefined };
  if (!isObject(params)) return { error: invalidParams('params must be an object', 'params') };
  const cursor = params.cursor;
  if (cursor === undefined) return { cursor: undefined };
  if (typeof cursor !== 'string') return { error: invalidParams('cursor must be a string', 'params.cursor') };
  return { cursor };
};
