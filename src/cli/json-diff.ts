/** One difference between two JSON values: where, and what each side holds there (undefined: absent). */
export interface JsonDifference {
  readonly path: string;
  readonly left: unknown;
  readonly right: unknown;
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The key an array element is known by, so that a list of agents or a serialized Map is compared
 * by name (`agents[alice].balance`) rather than by index: Map entries `[key, value]`, records with
 * an `agentId`, requests with `session` and `requestId`. Undefined: compare by index.
 */
const keyOf = (element: unknown): string | undefined => {
  if (Array.isArray(element) && element.length === 2 && typeof element[0] === 'string') return element[0];
  if (Array.isArray(element) && element.length === 2 && typeof element[0] === 'number') return String(element[0]);
  if (isObject(element) && typeof element.agentId === 'string') return element.agentId;
  if (isObject(element) && typeof element.session === 'string' && 'requestId' in element) {
    return `${element.session} ${JSON.stringify(element.requestId)}`;
  }
  return undefined;
};

/** `[k, v]` entries become v under k; records stay whole under their key. */
const keyed = (elements: readonly unknown[]): Map<string, unknown> | undefined => {
  const map = new Map<string, unknown>();
  for (const element of elements) {
    const key = keyOf(element);
    if (key === undefined || map.has(key)) return undefined;
    map.set(key, Array.isArray(element) ? element[1] : element);
  }
  return map;
};

const segment = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${key}]`);

const diffInto = (left: unknown, right: unknown, path: string, out: JsonDifference[]): void => {
  if (Array.isArray(left) && Array.isArray(right)) {
    const leftKeyed = keyed(left);
    const rightKeyed = keyed(right);
    if (leftKeyed !== undefined && rightKeyed !== undefined && (left.length > 0 || right.length > 0)) {
      const keys = [...new Set([...leftKeyed.keys(), ...rightKeyed.keys()])];
      for (const key of keys) diffInto(leftKeyed.get(key), rightKeyed.get(key), `${path}[${key}]`, out);
      return;
    }
    for (let index = 0; index < Math.max(left.length, right.length); index++) {
      diffInto(left[index], right[index], `${path}[${index}]`, out);
    }
    return;
  }
  if (isObject(left) && isObject(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])];
    for (const key of keys) diffInto(left[key], right[key], `${path}${segment(key)}`, out);
    return;
  }
  if (JSON.stringify(left) !== JSON.stringify(right))
    out.push({ path: path === '' ? '(whole value)' : path, left, right });
};

/** Every leaf where two JSON values differ, with a readable path (`.a.b`, `[key]`, `[0]`). */
export const diffJson = (left: unknown, right: unknown): JsonDifference[] => {
  const out: JsonDifference[] = [];
  diffInto(left, right, '', out);
  return out.map((difference) => ({
    ...difference,
    path: difference.path.startsWith('.') ? difference.path.slice(1) : difference.path,
  }));
};

/** A JSON value on one line, or `(absent)`. */
export const showJson = (value: unknown): string => (value === undefined ? '(absent)' : JSON.stringify(value));
