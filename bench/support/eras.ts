/**
 * The two eras of MCP a load benchmark can speak to APEX, and what each looks like on the wire:
 *
 * - legacy, 2025-11-25: `initialize` + `notifications/initialized` once, then plain requests; the
 *   session holds the version and the client's info and capabilities.
 * - modern, 2026-07-28: no handshake; every request carries the envelope in `params._meta`
 *   (version, client capabilities, client info), and every result comes back with
 *   `resultType: "complete"` and the server's info in `_meta`.
 */

export type Era = 'legacy' | 'modern';

export const ERA_VERSIONS: Record<Era, string> = { legacy: '2025-11-25', modern: '2026-07-28' };

/** The benchmark client's self-description: sent once (legacy initialize) or with every request (modern). */
export const BENCH_CLIENT_INFO = { name: 'stdio-load', version: '1.0.0' } as const;

const SERVER_INFO_META_KEY = 'io.modelcontextprotocol/serverInfo';

/** `--era legacy|modern|both` → the eras to run, legacy first. */
export const parseEras = (value: string): Era[] => {
  switch (value.trim()) {
    case 'legacy':
      return ['legacy'];
    case 'modern':
      return ['modern'];
    case 'both':
      return ['legacy', 'modern'];
    default:
      throw new Error(`--era: ${JSON.stringify(value)} is not one of legacy, modern, both`);
  }
};

/**
 * The `_meta` envelope of a modern request. Client info included: a legacy client gives it once in
 * `initialize` and APEX records it on every RequestReceived, so with it both eras record the same facts.
 */
export const modernMeta = (): Record<string, unknown> => ({
  'io.modelcontextprotocol/protocolVersion': ERA_VERSIONS.modern,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': BENCH_CLIENT_INFO,
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether a result has its era's shape: a modern one `resultType: "complete"` and the server's info
 * in `_meta`, a legacy one neither. Checked on every response, so a server that ignored the envelope
 * (and served the modern requests as legacy ones) shows up as errors, not as a faster modern era.
 */
export const hasEraShape = (era: Era, result: unknown): boolean => {
  if (!isObject(result)) return false;
  if (era === 'legacy') return result.resultType === undefined;
  return result.resultType === 'complete' && isObject(result._meta) && isObject(result._meta[SERVER_INFO_META_KEY]);
};
