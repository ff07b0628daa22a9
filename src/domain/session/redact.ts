/**
 * What a session records of a request's params (and a tool call's arguments):
 * - 'full': everything, except values under keys that look like credentials;
 * - 'names-only': the structure and key names, each value replaced by its JSON type;
 * - 'none': nothing at all.
 */
export type RedactionPolicy = 'full' | 'names-only' | 'none';

export const DEFAULT_REDACTION_POLICY: RedactionPolicy = 'full';

export const REDACTED = '[REDACTED]';
/** Stands for what lies deeper than MAX_REDACTION_DEPTH, so a hostile payload can't make recording slow. */
export const TRUNCATED = '[TRUNCATED]';
export const MAX_REDACTION_DEPTH = 16;

const SECRET_KEY = /token|secret|password|authorization|api[-_]?key/i;
/** Counts of model tokens (sampling's maxTokens, usage figures) are not credentials. */
const TOKEN_COUNT_KEY = /^(max|input|output|total|prompt|completion|cached)_?tokens$/i;

const typeName = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
};

const copy = (value: unknown, policy: 'full' | 'names-only', depth: number): unknown => {
  if (value === null || typeof value !== 'object') {
    return policy === 'full' ? (value === undefined ? null : value) : typeName(value);
  }
  if (depth >= MAX_REDACTION_DEPTH) return TRUNCATED;
  if (Array.isArray(value)) return value.map((item) => copy(item, policy, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    result[key] =
      policy === 'full' && SECRET_KEY.test(key) && !TOKEN_COUNT_KEY.test(key)
        ? REDACTED
        : copy(field, policy, depth + 1);
  }
  return result;
};

/**
 * A deep copy of `params` fit for the audit log under `policy`; undefined for 'none' (and for
 * absent params). Never returns the caller's objects, so later mutation can't alter a record.
 */
export const redactParams = (params: unknown, policy: RedactionPolicy = DEFAULT_REDACTION_POLICY): unknown => {
  if (policy === 'none' || params === undefined) return undefined;
  return copy(params, policy, 0);
};
