import { createHash, randomBytes } from 'node:crypto';
import { TOKEN_HASH_PREFIX_LENGTH } from '../../domain/access/decider.js';

/** Tokens carry a recognisable prefix, so a leaked one is easy to find in logs and by secret scanners. */
export const TOKEN_PREFIX = 'apex_';

/** 256 random bits: a token cannot be guessed, so its unsalted SHA-256 is a safe thing to keep. */
export const generateToken = (): string => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

/** Lowercase hex SHA-256 of the token, the form the configuration lists (after `sha256:`). */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const tokenHashPrefix = (hash: string): string => hash.slice(0, TOKEN_HASH_PREFIX_LENGTH);

/** Longer credentials are refused unhashed: no configured token is anywhere near this long. */
const MAX_TOKEN_LENGTH = 512;

export type Authentication =
  | { readonly kind: 'agent'; readonly agent: string; readonly via: 'token' | 'default_agent' }
  | {
      readonly kind: 'refused';
      readonly reason: 'missing_token' | 'malformed_authorization' | 'unknown_token';
      /** For an unknown token: a prefix of its hash, so repeated attempts can be correlated. */
      readonly tokenHashPrefix?: string;
    };

/**
 * Who a request acts for: the agent whose configured token hash matches the bearer token, or,
 * without an Authorization header, the default agent when one was given (loopback only).
 * A presented but unknown token is refused even when a default agent exists.
 */
export class BearerTokens {
  constructor(
    private readonly agentByHash: ReadonlyMap<string, string>,
    private readonly defaultAgent: string | undefined,
  ) {}

  authenticate(authorization: string | undefined): Authentication {
    if (authorization === undefined || authorization.trim() === '') {
      return this.defaultAgent === undefined
        ? { kind: 'refused', reason: 'missing_token' }
        : { kind: 'agent', agent: this.defaultAgent, via: 'default_agent' };
    }
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
    const token = match?.[1];
    if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
      return { kind: 'refused', reason: 'malformed_authorization' };
    }
    const hash = hashToken(token);
    const agent = this.agentByHash.get(hash);
    return agent === undefined
      ? { kind: 'refused', reason: 'unknown_token', tokenHashPrefix: tokenHashPrefix(hash) }
      : { kind: 'agent', agent, via: 'token' };
  }
}
