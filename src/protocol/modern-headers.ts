import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { JsonRpcError } from './json-rpc.js';
import {
  claimedProtocolVersion,
  claimsModernEra,
  decodeModernEnvelope,
  type ModernEnvelope,
} from './modern-envelope.js';
import { headerMismatch } from './modern-errors.js';
import { protocolEra } from './protocol-version.js';
import { unsupportedProtocolVersion } from './rpc-errors.js';

/**
 * Streamable HTTP, 2026-07-28: a modern request repeats parts of its body in headers (so that
 * proxies can route without parsing JSON), and the server refuses a request whose headers and body
 * disagree. Everything here is pure: headers come in through a lookup function.
 */

/** Reads one request header; called with lowercase names. Node's `(name) => req.headers[name]` fits. */
export type HeaderLookup = (lowercaseName: string) => string | undefined;

/** A case-insensitive lookup over a header record whose keys may be spelled in any case. */
export const headerLookupOf = (headers: Readonly<Record<string, string | undefined>>): HeaderLookup => {
  const byLowercaseName = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return (name) => byLowercaseName.get(name.toLowerCase());
};

export const MODERN_HTTP_HEADERS = {
  protocolVersion: 'MCP-Protocol-Version',
  method: 'Mcp-Method',
  name: 'Mcp-Name',
  /** `Mcp-Param-{Name}` for a tool argument whose schema property says `"x-mcp-header": "{Name}"`. */
  paramPrefix: 'Mcp-Param-',
} as const;

/** The body field `Mcp-Name` repeats, by method. */
export const MCP_NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/** The JSON Schema keyword that gives a tool argument its own header. */
export const X_MCP_HEADER = 'x-mcp-header';

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';

// What a header value may carry as sent (visible ASCII, space, tab); anything else travels Base64-encoded.
const HEADER_VALUE_CHARACTERS = /^[\t -~]*$/;
const DECIMAL_NUMBER = /^-?\d+(\.\d+)?$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isOws = (character: string | undefined): boolean => character === ' ' || character === '\t';

/**
 * RFC 9110 optional whitespace (spaces and tabs) around a field value is not part of it. A loop, not
 * a regular expression: `[ \t]+$` backtracks quadratically on a long run of inner whitespace.
 */
const trimOws = (value: string): string => {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value[start])) start++;
  while (end > start && isOws(value[end - 1])) end--;
  return value.slice(start, end);
};

const read = (header: HeaderLookup, name: string): string | undefined => {
  const value = header(name.toLowerCase());
  return value === undefined ? undefined : trimOws(value);
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value as meant: `=?base64?<Base64 of UTF-8>?=` is decoded, anything else is taken as
 * is. Undefined when the value cannot be a header value, or the sentinel's payload is not canonical
 * Base64 of valid UTF-8.
 */
export const decodeHeaderValue = (value: string): string | undefined => {
  if (!HEADER_VALUE_CHARACTERS.test(value)) return undefined;
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX))) return value;
  if (value.length < SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length) return undefined;
  const payload = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
  const bytes = Buffer.from(payload, 'base64');
  // Node's decoder skips stray characters; re-encoding shows whether the payload was canonical.
  if (bytes.toString('base64') !== payload) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    // TextDecoder reports invalid UTF-8 only by throwing.
    return undefined;
  }
};

type Check = E.Either<JsonRpcError, void>;
const passed: Check = E.right(undefined);

const quoted = (value: unknown): string => JSON.stringify(value);

/** A header that must repeat `expected` exactly (after OWS trimming). */
const checkEqual = (header: HeaderLookup, name: string, expected: string, source: string): Check => {
  const value = read(header, name);
  if (value === undefined) return E.left(headerMismatch(name, `is missing; it must repeat ${source}`));
  return value === expected
    ? passed
    : E.left(headerMismatch(name, `says ${quoted(value)} but ${source} is ${quoted(expected)}`));
};

/** A header that may carry a Base64 sentinel and must then decode to the value of the body. */
const checkEncoded = (
  header: HeaderLookup,
  name: string,
  source: string,
  matches: (decoded: string) => boolean,
  expected: unknown,
): Check => {
  const value = read(header, name);
  if (value === undefined) return E.left(headerMismatch(name, `is missing; it must repeat ${source}`));
  const decoded = decodeHeaderValue(value);
  if (decoded === undefined) {
    return E.left(
      headerMismatch(name, 'is not a valid header value; send text outside visible ASCII as =?base64?<Base64>?='),
    );
  }
  return matches(decoded)
    ? passed
    : E.left(headerMismatch(name, `says ${quoted(decoded)} but ${source} is ${quoted(expected)}`));
};

const checkName = (header: HeaderLookup, method: string, params: unknown): Check => {
  const field = Object.hasOwn(MCP_NAME_SOURCE, method) ? MCP_NAME_SOURCE[method] : undefined;
  if (field === undefined || !isPlainObject(params)) return passed;
  const expected = params[field];
  // A body without the field is refused by the method's params validation, with a better message.
  if (typeof expected !== 'string') return passed;
  return checkEncoded(header, MODERN_HTTP_HEADERS.name, `params.${field}`, (decoded) => decoded === expected, expected);
};

/** One tool argument that travels in a header too. */
export interface ParamHeaderDeclaration {
  /** `{Name}` of `Mcp-Param-{Name}`, as the schema spells it. */
  readonly name: string;
  /** Where the argument sits in `arguments`: `["region"]`, `["target", "zone"]`. */
  readonly path: readonly string[];
}

/**
 * The `x-mcp-header` declarations of a tool's input schema, found on properties reached through
 * `properties` alone (nothing under arrays, combinators or references).
 */
export const paramHeaderDeclarations = (
  inputSchema: unknown,
  path: readonly string[] = [],
): ParamHeaderDeclaration[] => {
  if (!isPlainObject(inputSchema) || !isPlainObject(inputSchema.properties)) return [];
  return Object.entries(inputSchema.properties).flatMap(([key, property]) => {
    if (!isPlainObject(property)) return [];
    const name = property[X_MCP_HEADER];
    const own = typeof name === 'string' && name !== '' ? [{ name, path: [...path, key] }] : [];
    return [...own, ...paramHeaderDeclarations(property, [...path, key])];
  });
};

const valueAt = (root: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), root);

/** Numbers compare as numbers (`42.0` is 42), booleans as `true`/`false`, strings exactly. */
const headerMatchesArgument = (decoded: string, argument: string | number | boolean): boolean => {
  if (typeof argument === 'number') return DECIMAL_NUMBER.test(decoded) && Number(decoded) === argument;
  return decoded === String(argument);
};

const checkParams = (header: HeaderLookup, params: unknown, toolInputSchema: object): Check => {
  const args = isPlainObject(params) ? params.arguments : undefined;
  for (const declaration of paramHeaderDeclarations(toolInputSchema)) {
    const argument = valueAt(args, declaration.path);
    // null, absent and non-primitive values have no header (the latter fail argument validation).
    if (typeof argument !== 'string' && typeof argument !== 'number' && typeof argument !== 'boolean') continue;
    const name = `${MODERN_HTTP_HEADERS.paramPrefix}${declaration.name}`;
    const source = `params.arguments.${declaration.path.join('.')}`;
    const check = checkEncoded(header, name, source, (decoded) => headerMatchesArgument(decoded, argument), argument);
    if (E.isLeft(check)) return check;
  }
  return passed;
};

/** A modern request as the header checks see it. */
export interface ModernHttpBody {
  readonly method: string;
  readonly params?: unknown;
}

/**
 * The header rules for a modern request POST: `MCP-Protocol-Version` repeats the `_meta` version,
 * `Mcp-Method` the method, `Mcp-Name` the name, URI or task id, and `Mcp-Param-{Name}` each tool
 * argument declared with `x-mcp-header` (pass the called tool's `inputSchema`). The first failure,
 * in that order, is a -32020 naming its header.
 */
export const validateModernHeaders = (
  header: HeaderLookup,
  body: ModernHttpBody,
  toolInputSchema?: object,
): E.Either<JsonRpcError, void> =>
  pipe(
    checkEqual(
      header,
      MODERN_HTTP_HEADERS.protocolVersion,
      claimedProtocolVersion(body.params) ?? '',
      'the protocol version in params._meta',
    ),
    E.chain(() => checkEqual(header, MODERN_HTTP_HEADERS.method, body.method, 'the method')),
    E.chain(() => checkName(header, body.method, body.params)),
    E.chain(() =>
      body.method === 'tools/call' && toolInputSchema !== undefined
        ? checkParams(header, body.params, toolInputSchema)
        : passed,
    ),
  );

/** A header that, when sent, must agree with the body; its absence is judged later. */
const checkEqualIfPresent = (header: HeaderLookup, name: string, expected: string, source: string): Check =>
  read(header, name) === undefined ? passed : checkEqual(header, name, expected, source);

/** Which era's rules serve an HTTP POST, and for a modern one, what its envelope says. */
export type HttpRequestEra = { readonly era: 'legacy' } | { readonly era: 'modern'; readonly envelope: ModernEnvelope };

const modern = (envelope: ModernEnvelope): HttpRequestEra => ({ era: 'modern', envelope });

export interface ModernGate {
  /** Modern revisions this server serves; -32022 lists them. */
  readonly supportedVersions: readonly string[];
  /** For tools/call: the called tool's `inputSchema`, whose `x-mcp-header` arguments are checked. */
  readonly toolInputSchema?: object;
}

/** One JSON-RPC request or notification (no `id`) from a POST body. */
export interface HttpMessageBody extends ModernHttpBody {
  readonly id?: unknown;
}

/**
 * The era of one POSTed message, or the error that answers it (all HTTP 400 at the gate). Decided
 * by the body; headers only cross-check it. In order, the first failure wins:
 *   1. a body without a modern claim is legacy, unless `MCP-Protocol-Version` names a modern
 *      revision: then -32602 (the envelope is missing), or -32020 for `initialize`;
 *   2. a claim with a missing or ill-typed envelope key: -32602;
 *   3. `MCP-Protocol-Version` or `Mcp-Method` sent but disagreeing with the body: -32020;
 *   4. a version this server does not serve: -32022 (so a mismatch beats an unsupported version);
 *   5. for requests (not notifications), every header rule of validateModernHeaders: -32020.
 * Method lookup (404) and capabilities (-32021) come after, in the dispatcher.
 */
export const classifyModernHttpRequest = (
  header: HeaderLookup,
  body: HttpMessageBody,
  gate: ModernGate,
): E.Either<JsonRpcError, HttpRequestEra> => {
  const claimed = claimsModernEra(body.params);
  const envelope = claimed ? decodeModernEnvelope(body.params) : undefined;
  // A client starting a 2025 session keeps doing so, whatever half-formed claim it sends along.
  const legacyHandshake = body.method === 'initialize' && (envelope === undefined || E.isLeft(envelope));

  if (envelope === undefined || legacyHandshake) {
    const headerVersion = read(header, MODERN_HTTP_HEADERS.protocolVersion);
    if (headerVersion === undefined || protocolEra(headerVersion) !== 'modern') return E.right({ era: 'legacy' });
    if (legacyHandshake) {
      return E.left(
        headerMismatch(
          MODERN_HTTP_HEADERS.protocolVersion,
          `names ${quoted(headerVersion)}, a stateless revision, but initialize starts a 2025-11-25 session`,
        ),
      );
    }
    // Without a claim the envelope cannot decode: its error names the keys the client must add.
    return pipe(decodeModernEnvelope(body.params), E.map(modern));
  }
  if (E.isLeft(envelope)) return envelope;

  const { protocolVersion } = envelope.right;
  return pipe(
    checkEqualIfPresent(
      header,
      MODERN_HTTP_HEADERS.protocolVersion,
      protocolVersion,
      'the protocol version in params._meta',
    ),
    E.chain(() => checkEqualIfPresent(header, MODERN_HTTP_HEADERS.method, body.method, 'the method')),
    E.chain(() =>
      gate.supportedVersions.includes(protocolVersion)
        ? passed
        : E.left(unsupportedProtocolVersion(protocolVersion, gate.supportedVersions)),
    ),
    E.chain(() => (body.id === undefined ? passed : validateModernHeaders(header, body, gate.toolInputSchema))),
    E.map(() => modern(envelope.right)),
  );
};
