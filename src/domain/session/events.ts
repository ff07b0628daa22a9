import * as t from 'io-ts';
import { DurationMs, defineEvent, type EventOf, RequestIdCodec, withOptional } from '../event-definition.js';

/**
 * Events of one client session (stream `session-<id>`): what was asked, in arrival order, and
 * how each request ended. Params and tool arguments are redacted by the caller before they get here.
 */

/** The server process that runs a session: only it may end the session's requests while it lives. */
export const InstanceCodec = t.type({ id: t.string, pid: t.number, host: t.string });
export type Instance = t.TypeOf<typeof InstanceCodec>;

export const SessionStarted = defineEvent(
  'SessionStarted',
  1,
  withOptional(
    { transport: t.string, agent: t.string },
    { protocolVersion: t.string, clientInfo: t.unknown, clientCapabilities: t.unknown, instance: InstanceCodec },
  ),
);

/** A legacy client's initialize handshake settled on this revision, with these capabilities. */
export const SessionInitialized = defineEvent(
  'SessionInitialized',
  1,
  withOptional({ protocolVersion: t.string }, { clientInfo: t.unknown, clientCapabilities: t.unknown }),
);

/**
 * Another server process took the session over after the one running it stopped (a restart): the
 * requests it left unfinished were ended (`cutOff`) before this event.
 */
export const SessionAdopted = defineEvent(
  'SessionAdopted',
  1,
  t.type({ instance: InstanceCodec, previous: t.union([InstanceCodec, t.null]), cutOff: t.number }),
);

/**
 * A message sent on a resumable SSE stream (HTTP), recorded before it is written, so a client that
 * reconnects with `Last-Event-ID` (`<stream>.<seq>`) gets what it missed, after a restart too.
 */
export const MessageStreamed = defineEvent(
  'MessageStreamed',
  1,
  withOptional({ stream: t.number, seq: t.number, message: t.unknown }, { requestId: RequestIdCodec }),
);

export const RequestReceived = defineEvent(
  'RequestReceived',
  1,
  withOptional(
    { requestId: RequestIdCodec, method: t.string },
    // `stream`: the SSE stream (HTTP) that carries the request's answer.
    { params: t.unknown, protocolVersion: t.string, clientInfo: t.unknown, stream: t.number },
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

/** A later round of a multi round-trip call: the call it continues, and the answers this round brought. */
const Continues = t.type({ call: t.string, round: t.number, inputProvided: t.array(t.string) });

export const ToolCallRequested = defineEvent(
  'ToolCallRequested',
  1,
  withOptional({ requestId: RequestIdCodec, tool: t.string }, { arguments: t.unknown, continues: Continues }),
);

/**
 * The tool needs the client (sampling, elicitation, roots) before it can finish: this round ended
 * with an input_required result asking `inputKeys`; the call goes on in a later request (`call` is
 * the correlation id of its first round). Nothing was charged for the round.
 */
export const ToolCallInputRequired = defineEvent(
  'ToolCallInputRequired',
  1,
  t.type({ requestId: RequestIdCodec, tool: t.string, call: t.string, round: t.number, inputKeys: t.array(t.string) }),
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

/**
 * The server asked the client something (sampling, elicitation, roots) on behalf of request
 * `requestId`; `clientRequestId` is the id of the server's request on the wire.
 */
export const ClientRequestSent = defineEvent(
  'ClientRequestSent',
  1,
  withOptional({ requestId: RequestIdCodec, clientRequestId: RequestIdCodec, method: t.string }, { params: t.unknown }),
);

/** The client answered a server-to-client request with a result (recorded under the params policy). */
export const ClientRequestAnswered = defineEvent(
  'ClientRequestAnswered',
  1,
  withOptional({ requestId: RequestIdCodec, clientRequestId: RequestIdCodec }, { result: t.unknown }),
);

/**
 * A server-to-client request ended without a result: the client answered with an error (`code` is
 * its JSON-RPC code), did not answer in time, or the call it served was cancelled.
 */
export const ClientRequestFailed = defineEvent(
  'ClientRequestFailed',
  1,
  t.type({
    requestId: RequestIdCodec,
    clientRequestId: RequestIdCodec,
    outcome: t.keyof({ error: null, timed_out: null, cancelled: null }),
    code: t.number,
    reason: t.string,
  }),
);

/** The call was answered with a task (tasks extension): its run and outcome are in stream `task-<taskId>`. */
export const ToolCallRunAsTask = defineEvent(
  'ToolCallRunAsTask',
  1,
  t.type({ requestId: RequestIdCodec, tool: t.string, taskId: t.string }),
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
  ClientRequestSent,
  ClientRequestAnswered,
  ClientRequestFailed,
  SessionInitialized,
  SessionAdopted,
  MessageStreamed,
  ToolCallInputRequired,
  ToolCallRunAsTask,
] as const;

export type SessionEvent = EventOf<(typeof SESSION_EVENT_DEFINITIONS)[number]>;
