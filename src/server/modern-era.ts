import * as E from 'fp-ts/lib/Either.js';
import {
  claimedProtocolVersion,
  claimsModernEra,
  decodeModernEnvelope,
  type ModernEnvelope,
  SERVER_INFO_META_KEY,
} from '../protocol/modern-envelope.js';
import { ALL_SUPPORTED_PROTOCOL_VERSIONS, SUPPORTED_MODERN_PROTOCOL_VERSIONS } from '../protocol/protocol-version.js';
import { unsupportedProtocolVersion } from '../protocol/rpc-errors.js';
import type { JsonRpcError } from './outcome.js';

/**
 * The era a request belongs to, read from the request alone: a `_meta` protocol version makes it a
 * 2026-07-28 (stateless) request, served with what its envelope says; anything else is legacy, served
 * with what the connection's initialize settled. A claim that fails (a broken envelope, a version
 * APEX does not speak) is refused, and still recorded as the modern request it claimed to be.
 */
export type RequestEra =
  | { readonly era: 'legacy' }
  | { readonly era: 'modern'; readonly envelope: ModernEnvelope }
  | { readonly era: 'modern'; readonly claimed: string | undefined; readonly refusal: JsonRpcError };

export const readRequestEra = (params: unknown): RequestEra => {
  if (!claimsModernEra(params)) return { era: 'legacy' };
  const decoded = decodeModernEnvelope(params);
  if (E.isLeft(decoded)) return { era: 'modern', claimed: claimedProtocolVersion(params), refusal: decoded.left };
  const { protocolVersion } = decoded.right;
  if (!SUPPORTED_MODERN_PROTOCOL_VERSIONS.includes(protocolVersion)) {
    return {
      era: 'modern',
      claimed: protocolVersion,
      refusal: unsupportedProtocolVersion(protocolVersion, ALL_SUPPORTED_PROTOCOL_VERSIONS),
    };
  }
  return { era: 'modern', envelope: decoded.right };
};

/** Methods of the legacy era that 2026-07-28 removed: a modern request for one is method-not-found. */
export const REMOVED_IN_MODERN_ERA: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);

/**
 * How long a client may reuse a result, by method. Everything APEX lists or reads depends on the
 * caller (its permissions, its ledger), so it is private; lists change only with the configuration
 * (a restart), reads (a ledger, health) at any moment.
 */
const CACHE_HINTS: Readonly<Record<string, { readonly ttlMs: number; readonly cacheScope: 'private' }>> = {
  'server/discover': { ttlMs: 60_000, cacheScope: 'private' },
  'tools/list': { ttlMs: 60_000, cacheScope: 'private' },
  'prompts/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
};

/**
 * A result as 2026-07-28 wants it: a `resultType` (complete, unless the handler said otherwise), the
 * server's identity in `_meta`, and caching hints on lists and reads.
 */
export const modernResult = (
  method: string,
  result: Record<string, unknown>,
  serverInfo: Record<string, unknown>,
): Record<string, unknown> => {
  const meta = (result._meta ?? {}) as Record<string, unknown>;
  return {
    ...result,
    resultType: result.resultType ?? 'complete',
    ...(CACHE_HINTS[method] ?? {}),
    _meta: { ...meta, [SERVER_INFO_META_KEY]: serverInfo },
  };
};

/** The answer to `server/discover`: the versions, capabilities and instructions of this server. */
export const discoverResult = (
  capabilities: Record<string, unknown>,
  instructions: string,
): Record<string, unknown> => ({
  supportedVersions: [...ALL_SUPPORTED_PROTOCOL_VERSIONS],
  capabilities,
  instructions,
});
