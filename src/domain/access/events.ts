import * as t from 'io-ts';
import { DurationMs, defineEvent, type EventOf, withOptional } from '../event-definition.js';

/**
 * Who may reach APEX over HTTP, and who was turned away. Stream `access-<agent id>` holds an
 * agent's issued tokens and the refusals made in its name; stream `access` holds refusals of
 * callers no agent could be named for (no token, an unknown token, a foreign Origin).
 */

/** A bearer token was created for `agent`; only a prefix of its SHA-256 is kept, never the token. */
export const TokenIssued = defineEvent('TokenIssued', 1, t.type({ agent: t.string, tokenHashPrefix: t.string }));

/** Why an HTTP request was turned away before it reached an MCP session. */
export const AccessRefusalReason = t.keyof({
  /** No `Authorization: Bearer …` header, and no default agent. */
  missing_token: null,
  /** An `Authorization` header that is not `Bearer <token>`. */
  malformed_authorization: null,
  /** A bearer token whose hash is in no agent's `tokens` list. */
  unknown_token: null,
  /** An `Origin` header naming a host that is neither loopback nor allowed (DNS-rebinding protection). */
  origin_not_allowed: null,
  /** A valid token used with the session id of another agent's session. */
  session_of_another_agent: null,
  /** An endpoint the agent's permissions do not open (e.g. /metrics without `auditor`). */
  permission_denied: null,
});
export type AccessRefusalReason = t.TypeOf<typeof AccessRefusalReason>;

export const AccessRefused = defineEvent(
  'AccessRefused',
  1,
  withOptional(
    { reason: AccessRefusalReason, httpStatus: t.number, httpMethod: t.string, path: t.string },
    {
      agent: t.string,
      origin: t.string,
      remoteAddress: t.string,
      /** Prefix of the SHA-256 of a presented token that matched nobody (to correlate attempts). */
      tokenHashPrefix: t.string,
      sessionId: t.string,
    },
  ),
);

export const RateLimitKind = t.keyof({ requests_per_second: null, concurrent_calls: null, open_sessions: null });
export type RateLimitKind = t.TypeOf<typeof RateLimitKind>;

/** A request of `agent` was refused because it went over one of its rate limits. */
export const RequestRateLimited = defineEvent(
  'RequestRateLimited',
  1,
  withOptional(
    { agent: t.string, limit: RateLimitKind, retryAfterMs: DurationMs, httpMethod: t.string },
    {
      sessionId: t.string,
      /** The refused JSON-RPC request, as `session:id` (see correlationIdOf). */
      correlationId: t.string,
      /** Its JSON-RPC method. */
      method: t.string,
    },
  ),
);

export const ACCESS_EVENT_DEFINITIONS = [TokenIssued, AccessRefused, RequestRateLimited] as const;

export type AccessEvent = EventOf<(typeof ACCESS_EVENT_DEFINITIONS)[number]>;
