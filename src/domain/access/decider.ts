import * as E from 'fp-ts/lib/Either.js';
import type { Decider } from '../decider.js';
import type { AccessEvent, AccessRefusalReason, RateLimitKind } from './events.js';

export type AccessCommand =
  | { readonly type: 'IssueToken'; readonly data: { readonly agent: string; readonly tokenHashPrefix: string } }
  | {
      readonly type: 'RefuseAccess';
      readonly data: {
        readonly reason: AccessRefusalReason;
        readonly httpStatus: number;
        readonly httpMethod: string;
        readonly path: string;
        readonly agent?: string;
        readonly origin?: string;
        readonly remoteAddress?: string;
        readonly tokenHashPrefix?: string;
        readonly sessionId?: string;
      };
    }
  | {
      readonly type: 'RecordRateLimit';
      readonly data: {
        readonly agent: string;
        readonly limit: RateLimitKind;
        readonly retryAfterMs: number;
        readonly httpMethod: string;
        readonly sessionId?: string;
        readonly correlationId?: string;
        readonly method?: string;
      };
    };

export interface AccessState {
  readonly recorded: number;
}

/** How many hex digits of a token's SHA-256 the log keeps: enough to tell tokens apart, useless to forge one. */
export const TOKEN_HASH_PREFIX_LENGTH = 12;

/**
 * Access events are facts, never refused: there is no invariant across them, so nothing needs
 * the stream's state (which is why the server appends them without loading the stream).
 */
export const accessDecider: Decider<AccessCommand, AccessEvent, AccessState> = {
  initialState: () => ({ recorded: 0 }),
  evolve: (state) => ({ recorded: state.recorded + 1 }),
  decide: (command) => {
    switch (command.type) {
      case 'IssueToken':
        return E.right([{ type: 'TokenIssued', data: command.data }]);
      case 'RefuseAccess':
        return E.right([{ type: 'AccessRefused', data: command.data }]);
      case 'RecordRateLimit':
        return E.right([{ type: 'RequestRateLimited', data: command.data }]);
    }
  },
};
