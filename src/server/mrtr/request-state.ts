import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { JsonRpcError } from '../../protocol/json-rpc.js';
import { invalidParams } from '../../protocol/rpc-errors.js';

/**
 * `requestState` of a multi round-trip request (MCP 2026-07-28): an opaque string the server hands
 * out with `input_required` and the client echoes on its retry. The client controls it, so it is
 * signed (HMAC-SHA-256) and binds who asked (agent), what was asked (method and a digest of the
 * salient params), the call it continues (correlation id), when it was issued and until when it
 * holds, the round, and a nonce. The server's own payload rides along, signed but not encrypted:
 * put nothing in it the client may not read.
 *
 * Format: `v1.<base64url(JSON claims)>.<base64url(HMAC over "v1.<claims>")>`.
 *
 * Replay: a verified state proves the server issued it for this agent and request, not that it is
 * used once. Each issued state has a fresh nonce. A caller whose continuation has effects that must
 * not happen twice (a charge, a task) records the nonce as consumed and refuses it the second time:
 * ConsumedRequestStates in one process (until the state's `expiresAt`; after that the state is
 * refused as expired anyway), and RequestStateConsumed in the event store for every process on it
 * (consumption-log.ts). A later round gets a new state (new nonce, round + 1), so consuming one round
 * never blocks the next.
 */

const FORMAT = 'v1';

/** How long a state holds when the issuer names no other time: long enough for a person to answer. */
export const REQUEST_STATE_TTL_MS = 10 * 60_000;

/** States longer than this are refused unread (the payload carries answers, not documents). */
export const MAX_REQUEST_STATE_LENGTH = 256 * 1024;

/** Bytes of an HMAC-SHA-256 key, and of a key generated per process. */
export const REQUEST_STATE_KEY_BYTES = 32;

/** A configured secret shorter than this is refused at start-up (see RequestStateSecret). */
export const MIN_REQUEST_STATE_SECRET_LENGTH = 32;

const NONCE_BYTES = 16;
const KEY_DERIVATION_INFO = 'apex/mrtr/request-state/v1';

/** For the server config: a secret of at least MIN_REQUEST_STATE_SECRET_LENGTH characters. */
export const RequestStateSecret = t.refinement(
  t.string,
  (secret) => secret.length >= MIN_REQUEST_STATE_SECRET_LENGTH,
  `a secret of at least ${MIN_REQUEST_STATE_SECRET_LENGTH} characters (for instance 32 random bytes, hex-encoded)`,
);

/**
 * The signing key. A configured secret is stretched into a key for this one purpose (HKDF), so the
 * same secret used elsewhere signs nothing here. Without one, a random key is made per process:
 * states then do not survive a restart, nor travel between instances behind one endpoint; clients
 * retrying with such a state are refused and start over.
 */
export const requestStateKeyFrom = (configuredSecret: string | undefined): Buffer =>
  configuredSecret === undefined
    ? randomBytes(REQUEST_STATE_KEY_BYTES)
    : Buffer.from(hkdfSync('sha256', configuredSecret, '', KEY_DERIVATION_INFO, REQUEST_STATE_KEY_BYTES));

/** A fresh, unguessable nonce for one issued state; hex, so it is also a valid stream id (see consumption-log.ts). */
export const newRequestStateNonce = (): string => randomBytes(NONCE_BYTES).toString('hex');

/**
 * JSON with object keys sorted at every level, so equal values give equal text whatever order the
 * client wrote their keys in. Undefined members are left out, as JSON.stringify does.
 */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const members = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Params a retry adds or may change without asking for anything else.
const ROUND_PARAMS = new Set(['_meta', 'inputResponses', 'requestState']);

/**
 * What makes a request the same request on its retry: tools/call and prompts/get their name and
 * arguments, resources/read its URI, any other method its params without `_meta`, `inputResponses`
 * and `requestState`.
 */
export const salientParams = (method: string, params: unknown): unknown => {
  const given = isPlainObject(params) ? params : {};
  switch (method) {
    case 'tools/call':
    case 'prompts/get':
      return { name: given.name, arguments: given.arguments ?? {} };
    case 'resources/read':
      return { uri: given.uri };
    default:
      return Object.fromEntries(Object.entries(given).filter(([key]) => !ROUND_PARAMS.has(key)));
  }
};

/** SHA-256 (hex) of the canonical JSON of a request's salient params. */
export const requestParamsDigest = (method: string, params: unknown): string =>
  createHash('sha256')
    .update(canonicalJson(salientParams(method, params)))
    .digest('hex');

/** What the server signs into a state. */
export interface RequestStateGrant {
  readonly agent: string;
  readonly method: string;
  /** requestParamsDigest of the original request. */
  readonly paramsDigest: string;
  /** The call this state continues, e.g. the correlation id of its first round. */
  readonly correlationId: string;
  /** 1 for the state handed out with the first `input_required`, then one more per round. */
  readonly round: number;
  /** The server's own continuation data (JSON). */
  readonly payload: unknown;
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly ttlMs?: number;
  /** Defaults to newRequestStateNonce(); tests pass their own. */
  readonly nonce?: string;
}

const Claims = t.type({
  agent: t.string,
  method: t.string,
  paramsDigest: t.string,
  correlationId: t.string,
  round: t.number,
  nonce: t.string,
  issuedAt: t.number,
  expiresAt: t.number,
  payload: t.unknown,
});
type Claims = t.TypeOf<typeof Claims>;

const signatureOf = (key: Buffer, signed: string): string =>
  createHmac('sha256', key).update(signed).digest('base64url');

export const signRequestState = (key: Buffer, grant: RequestStateGrant): string => {
  const claims: Claims = {
    agent: grant.agent,
    method: grant.method,
    paramsDigest: grant.paramsDigest,
    correlationId: grant.correlationId,
    round: grant.round,
    nonce: grant.nonce ?? newRequestStateNonce(),
    issuedAt: grant.now,
    expiresAt: grant.now + (grant.ttlMs ?? REQUEST_STATE_TTL_MS),
    payload: grant.payload,
  };
  const signed = `${FORMAT}.${Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')}`;
  return `${signed}.${signatureOf(key, signed)}`;
};

export type RequestStateRefusalReason = 'malformed' | 'bad_signature' | 'expired' | 'wrong_agent' | 'wrong_request';

export interface RequestStateRefusal {
  readonly reason: RequestStateRefusalReason;
  readonly message: string;
}

/** What a retry must match: the agent asking now, and the request as sent now. */
export interface RequestStateExpectation {
  readonly agent: string;
  readonly method: string;
  readonly paramsDigest: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

/** A state this server issued for this agent and request, still in time. */
export interface VerifiedRequestState {
  readonly payload: unknown;
  readonly round: number;
  /** Identifies this one state: the key for refusing a second use (see the top of this file). */
  readonly nonce: string;
  readonly correlationId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

const START_OVER = 'Send the request again without requestState to start over.';

const refused = (reason: RequestStateRefusalReason, what: string): E.Either<RequestStateRefusal, never> =>
  E.left({ reason, message: `${what}. ${START_OVER}` });

const BASE64URL = /^[A-Za-z0-9_-]+$/;

const readClaims = (encoded: string): Claims | undefined => {
  try {
    const decoded = Claims.decode(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')));
    return E.isRight(decoded) ? decoded.right : undefined;
  } catch {
    // JSON.parse reports bad text only by throwing; a state we signed but cannot read is malformed.
    return undefined;
  }
};

/**
 * Checks, in order: the shape, the signature (over the exact string, so any alteration fails), the
 * agent, the request (method and params digest), the expiry. The first failure is the refusal.
 */
export const verifyRequestState = (
  key: Buffer,
  state: unknown,
  expected: RequestStateExpectation,
): E.Either<RequestStateRefusal, VerifiedRequestState> => {
  if (typeof state !== 'string' || state.length > MAX_REQUEST_STATE_LENGTH) {
    return refused('malformed', 'requestState is not a state this server issued');
  }
  const parts = state.split('.');
  const [format, body, signature] = parts;
  if (
    parts.length !== 3 ||
    format !== FORMAT ||
    body === undefined ||
    signature === undefined ||
    !BASE64URL.test(body) ||
    !BASE64URL.test(signature)
  ) {
    return refused('malformed', 'requestState is not a state this server issued');
  }
  const expectedSignature = Buffer.from(signatureOf(key, `${format}.${body}`));
  const givenSignature = Buffer.from(signature);
  if (givenSignature.length !== expectedSignature.length || !timingSafeEqual(givenSignature, expectedSignature)) {
    return refused('bad_signature', 'requestState was altered, or was issued by another server or before a restart');
  }
  const claims = readClaims(body);
  if (claims === undefined) return refused('malformed', 'requestState could not be read');
  if (claims.agent !== expected.agent) return refused('wrong_agent', 'requestState was issued to another agent');
  if (claims.method !== expected.method || claims.paramsDigest !== expected.paramsDigest) {
    return refused('wrong_request', 'requestState belongs to another request; a retry repeats the original params');
  }
  if (expected.now >= claims.expiresAt) return refused('expired', 'requestState has expired');
  return E.right({
    payload: claims.payload,
    round: claims.round,
    nonce: claims.nonce,
    correlationId: claims.correlationId,
    issuedAt: claims.issuedAt,
    expiresAt: claims.expiresAt,
  });
};

/** The JSON-RPC error for a refused state (-32602, `data.reason` says why). */
export const requestStateRefused = (refusal: RequestStateRefusal): JsonRpcError => {
  const error = invalidParams(refusal.message, 'params.requestState');
  return { ...error, data: { path: 'params.requestState', reason: refusal.reason } };
};
