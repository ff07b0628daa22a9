import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { decodeParams } from './decode-params.js';
import { JSON_RPC_ERROR_CODES } from './error-codes.js';
import type { JsonRpcError } from './json-rpc.js';
import { ClientCapabilities, Implementation, LoggingLevel, ProgressToken } from './mcp-params.js';

/**
 * The per-request envelope of MCP 2026-07-28: every modern request states its protocol version and
 * the client's capabilities in `params._meta`, because nothing carries over from earlier requests.
 */

/** `_meta` keys of a modern request. */
export const MODERN_META_KEYS = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  progressToken: 'progressToken',
} as const;

/** `_meta` key of a result naming the server (SHOULD on every modern result). */
export const SERVER_INFO_META_KEY = 'io.modelcontextprotocol/serverInfo';

/** `_meta` key tying a notification to the `subscriptions/listen` request that asked for it. */
export const SUBSCRIPTION_ID_META_KEY = 'io.modelcontextprotocol/subscriptionId';

/** The tasks extension, as declared under `clientCapabilities.extensions` and `capabilities.extensions`. */
export const TASKS_EXTENSION_ID = 'io.modelcontextprotocol/tasks';

/** The envelope keys a modern request must carry. */
export const REQUIRED_MODERN_META_KEYS: readonly string[] = [
  MODERN_META_KEYS.protocolVersion,
  MODERN_META_KEYS.clientCapabilities,
];

/** The `_meta` object as sent. Open: W3C trace context keys and future keys pass through. */
export const ModernRequestMeta = t.intersection(
  [
    t.type({
      [MODERN_META_KEYS.protocolVersion]: t.string,
      [MODERN_META_KEYS.clientCapabilities]: ClientCapabilities,
    }),
    t.partial({
      [MODERN_META_KEYS.clientInfo]: Implementation,
      [MODERN_META_KEYS.logLevel]: LoggingLevel,
      [MODERN_META_KEYS.progressToken]: ProgressToken,
    }),
  ],
  'ModernRequestMeta',
);
export type ModernRequestMeta = t.TypeOf<typeof ModernRequestMeta>;

const ModernRequestParams = t.type({ _meta: ModernRequestMeta }, 'ModernRequestParams');

/** What a modern request says about itself, under plain names. */
export interface ModernEnvelope {
  readonly protocolVersion: string;
  readonly clientCapabilities: t.TypeOf<typeof ClientCapabilities>;
  /** Self-reported, for display and logs only: never branch on it. */
  readonly clientInfo?: t.TypeOf<typeof Implementation>;
  /** Absent: the client wants no `notifications/message` for this request. */
  readonly logLevel?: t.TypeOf<typeof LoggingLevel>;
  readonly progressToken?: t.TypeOf<typeof ProgressToken>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const metaOf = (params: unknown): Record<string, unknown> | undefined =>
  isPlainObject(params) && isPlainObject(params._meta) ? params._meta : undefined;

/**
 * Whether a message claims the modern era: its `params._meta` has a protocol version key, whatever
 * its value. A claim is then held to the whole envelope; a message without one is legacy traffic.
 */
export const claimsModernEra = (params: unknown): boolean => {
  const meta = metaOf(params);
  return meta !== undefined && Object.hasOwn(meta, MODERN_META_KEYS.protocolVersion);
};

/** The version a message claims, when it claims one as a string. */
export const claimedProtocolVersion = (params: unknown): string | undefined => {
  const version = metaOf(params)?.[MODERN_META_KEYS.protocolVersion];
  return typeof version === 'string' ? version : undefined;
};

const ENVELOPE_PATH = 'params._meta';

/** `data.missing` lists every required key absent, all of them when `_meta` itself is. */
const missingEnvelopeKeys = (missing: readonly string[], metaAbsent: boolean): JsonRpcError => {
  const what = metaAbsent
    ? `${ENVELOPE_PATH} is missing`
    : `${ENVELOPE_PATH} lacks ${missing.map((key) => JSON.stringify(key)).join(' and ')}`;
  return {
    code: JSON_RPC_ERROR_CODES.INVALID_PARAMS,
    message: `Invalid params: ${what}. A 2026-07-28 request states its protocol version and client capabilities there.`,
    data: { path: ENVELOPE_PATH, missing: [...missing] },
  };
};

const toEnvelope = ({ _meta: meta }: t.TypeOf<typeof ModernRequestParams>): ModernEnvelope => {
  const clientInfo = meta[MODERN_META_KEYS.clientInfo];
  const logLevel = meta[MODERN_META_KEYS.logLevel];
  const progressToken = meta[MODERN_META_KEYS.progressToken];
  return {
    protocolVersion: meta[MODERN_META_KEYS.protocolVersion],
    clientCapabilities: meta[MODERN_META_KEYS.clientCapabilities],
    ...(clientInfo === undefined ? {} : { clientInfo }),
    ...(logLevel === undefined ? {} : { logLevel }),
    ...(progressToken === undefined ? {} : { progressToken }),
  };
};

/**
 * Reads the envelope of a modern request. An absent `_meta` or required key is -32602 with
 * `data.missing` listing every absent key; an ill-typed key (a capabilities array, an unknown log
 * level) is -32602 with `data.path` naming it.
 */
export const decodeModernEnvelope = (params: unknown): E.Either<JsonRpcError, ModernEnvelope> => {
  const meta = metaOf(params);
  if (meta === undefined) return E.left(missingEnvelopeKeys(REQUIRED_MODERN_META_KEYS, true));
  const missing = REQUIRED_MODERN_META_KEYS.filter((key) => meta[key] === undefined);
  if (missing.length > 0) return E.left(missingEnvelopeKeys(missing, false));
  return pipe(decodeParams(ModernRequestParams, params), E.map(toEnvelope));
};

/** Whether a request's own capabilities declare the tasks extension (it is opted into per request). */
export const declaresTasksExtension = (clientCapabilities: unknown): boolean => {
  const extensions = (clientCapabilities as { extensions?: unknown } | undefined)?.extensions;
  return typeof extensions === 'object' && extensions !== null && Object.hasOwn(extensions, TASKS_EXTENSION_ID);
};
