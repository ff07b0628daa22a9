import * as t from 'io-ts';
import { defineEvent, type EventOf } from '../event-definition.js';

/**
 * A multi round-trip request's `requestState` (MCP 2026-07-28) was used to continue a call. Stream
 * `requeststate-<nonce>`, one per issued state, written only at "no stream yet": of several APEX
 * processes on one store offered the same state, exactly one writes this event and continues the
 * call; the others find the stream there and refuse the state as a replay.
 */
export const RequestStateConsumed = defineEvent(
  'RequestStateConsumed',
  1,
  t.type({
    /** The state's nonce (also the stream's id). */
    nonce: t.string,
    /** The agent the state was issued to, who used it. */
    agent: t.string,
    /** `tools/call` or `prompts/get`. */
    method: t.string,
    /** The call the state continues: the correlation id of its first round. */
    call: t.string,
    /** The round that issued the state (as in ToolCallInputRequired); the request using it is the next one. */
    round: t.number,
    /** ISO-8601 UTC: after this the state is refused as expired anyway. */
    expiresAt: t.string,
  }),
);

export const REQUEST_STATE_EVENT_DEFINITIONS = [RequestStateConsumed] as const;

export type RequestStateEvent = EventOf<(typeof REQUEST_STATE_EVENT_DEFINITIONS)[number]>;
