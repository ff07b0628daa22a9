import * as E from 'fp-ts/lib/Either.js';
import { encodeEvent } from '../../domain/events.js';
import type { RequestStateEvent } from '../../domain/request-state/events.js';
import type { EventStore } from '../../store/event-store.js';
import { streamName } from '../../store/stream-name.js';
import type { VerifiedRequestState } from './request-state.js';

/**
 * `requeststate-<nonce>`: the one stream that records the use of one issued state. APEX's nonces are
 * hex, so a signed state always names a valid stream.
 */
export const requestStateStreamOf = (nonce: string): string => streamName.requestState(nonce);

/** The request that uses a state: who, which method, and its correlation id (the event's metadata). */
export interface ConsumingRequest {
  readonly agent: string;
  readonly method: string;
  readonly correlationId: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

/**
 * Records in the store that `state` was used, at expected revision `no_stream`: true when this
 * process wrote it (the state was unused, on any process sharing the store), false when the stream
 * was already there (a replay, possibly to another process). Rejects only when the store failed.
 */
export const recordRequestStateConsumed = async (
  store: EventStore,
  state: VerifiedRequestState,
  request: ConsumingRequest,
): Promise<boolean> => {
  const event: RequestStateEvent = {
    type: 'RequestStateConsumed',
    data: {
      nonce: state.nonce,
      agent: request.agent,
      method: request.method,
      call: state.correlationId,
      round: state.round,
      expiresAt: new Date(state.expiresAt).toISOString(),
    },
  };
  const appended = await store.append(requestStateStreamOf(state.nonce), 'no_stream', [
    {
      ...encodeEvent(event),
      metadata: {
        agent: request.agent,
        correlationId: request.correlationId,
        timestamp: new Date(request.now).toISOString(),
      },
    },
  ]);
  return E.isRight(appended);
};
