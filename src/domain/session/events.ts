import * as t from 'io-ts';
import { DurationMs, defineEvent, type EventOf, RequestIdCodec, withOptional } from '../event-definition.js';

/**
 * Events of one client session (stream `session-<id>`): what was asked, in arrival order, and
 * how each request ended. Params and tool arguments are redacted by the caller before they get here.
 */

export const SessionStarted = defineEvent(
  'SessionStarted',
  1,
  withOptional(
    { transport: t.string, agent: t.string },
    { protocolVersion: t.string, clientInfo: t.unknown, clientCapabilities: t.unknown },
  ),
);

export const RequestReceived = defineEvent(
  'RequestReceived',
  1,
  withOptional(
    { requestId: RequestIdCodec, method: t.string },
    { params: t.unknown, protocolVersion: t.string, clientInfo: t.unknown },
  ),
);

export const RequestCompleted = defineEvent(
  'RequestCompleted',
  1,
  t.type({ requestId: RequestIdCodec, durationMs: DurationMs }),
);

/** The request was answered with a JSON-RPC error (`code` is the JSON-RPC error code). */
export const RequestFailed = defineEvent(
  'RequestFailed',
  1,
  t.type({ requestId: RequestIdCodec, code: t.number, message: t.string, durationMs: DurationMs }),
);

/** The request outlived its time to live and was given up. */
export const RequestTimedOut = defineEvent(
  'RequestTimedOut',
  1,
  t.type({ requestId: RequestIdCodec, ttlMs: DurationMs, ageMs: DurationMs }),
);

export const RequestCancelled = defineEvent(
  'RequestCancelled',
  1,
  t.type({ requestId: RequestIdCodec, reason: t.string }),
);

export const ToolCallRequested = defineEvent(
  'ToolCallRequested',
  1,
  withOptional({ requestId: RequestIdCodec, tool: t.string }, { arguments: t.unknown }),
);

/** The tool was not run: `code` names why (PERMISSION_DENIED, INSUFFICIENT_FUNDS, AGENT_SUSPENDED, …). */
export const ToolCallDenied = defineEvent(
  'ToolCallDenied',
  1,
  t.type({ requestId: RequestIdCodec, tool: t.string, code: t.string, reason: t.string }),
);

export const ToolCallSucceeded = defineEvent(
  'ToolCallSucceeded',
  1,
  t.type({ requestId: RequestIdCodec, tool: t.string, durationMs: DurationMs }),
);

export const ToolCallFailed = defineEvent(
  'ToolCallFailed',
  1,
  t.type({ requestId: RequestIdCodec, tool: t.string, durationMs: DurationMs, error: t.string }),
);

export const SessionEnded = defineEvent('SessionEnded', 1, t.type({ reason: t.string }));

/**
 * A message that was not a valid request (not JSON, not JSON-RPC, too large, a reused id) and was
 * answered with an error: not a request, but an auditor still sees that it arrived and how it was answered.
 */
export const MessageRejected = defineEvent(
  'MessageRejected',
  1,
  withOptional({ code: t.number, reason: t.string }, { requestId: RequestIdCodec, bytes: t.number }),
);

export const SESSION_EVENT_DEFINITIONS = [
  SessionStarted,
  RequestReceived,
  RequestCompleted,
  RequestFailed,
  RequestTimedOut,
  RequestCancelled,
  ToolCallRequested,
  ToolCallDenied,
  ToolCallSucceeded,
  ToolCallFailed,
  SessionEnded,
  MessageRejected,
] as const;

export type SessionEvent = EventOf<(typeof SESSION_EVENT_DEFINITIONS)[number]>;
