import * as E from 'fp-ts/lib/Either.js';
import type { Decider } from '../decider.js';
import { type DomainError, domainError, invalidDurationError } from '../errors.js';
import { isDurationMs, type RequestId } from '../event-definition.js';
import type { SessionCommand } from './commands.js';
import type { Instance, SessionEvent } from './events.js';
import { requestKey } from './request-lifetime.js';

/** A request that has been received and has not ended yet. */
export interface ActiveRequest {
  readonly requestId: RequestId;
  readonly method: string;
  /** The tool call this request asked for, once requested or settled. */
  readonly toolCall: { readonly tool: string; readonly settled: boolean } | undefined;
  /** Keys (requestKey) of the server-to-client requests sent on its behalf and not answered yet. */
  readonly pendingClientRequests?: readonly string[];
  /** The SSE stream (HTTP) that carries its answer. */
  readonly stream?: number;
}

/** What a legacy client's initialize settled. */
export interface SessionInitialization {
  readonly protocolVersion: string;
  readonly clientInfo?: unknown;
  readonly clientCapabilities?: unknown;
}

/**
 * Only what `decide` needs: the session's status and its active requests. Finished requests
 * leave the map, so the state stays as small as the number of requests in flight.
 */
export interface SessionState {
  readonly status: 'not_started' | 'open' | 'ended';
  readonly agent: string;
  readonly transport: string;
  readonly active: ReadonlyMap<string, ActiveRequest>;
  /** The server process running the session (absent for sessions recorded before instances were). */
  readonly instance: Instance | undefined;
  readonly initialization: SessionInitialization | undefined;
}

/** The same shape, owned by one caller who may update it in place (see evolveSessionInPlace). */
export interface MutableSessionState {
  status: SessionState['status'];
  agent: string;
  transport: string;
  readonly active: Map<string, ActiveRequest>;
  instance: Instance | undefined;
  initialization: SessionInitialization | undefined;
}

export const initialSessionState = (): MutableSessionState => ({
  status: 'not_started',
  agent: '',
  transport: '',
  active: new Map(),
  instance: undefined,
  initialization: undefined,
});

/** A copy the caller may evolve in place. */
export const copySessionState = (state: SessionState): MutableSessionState => ({
  ...state,
  active: new Map(state.active),
});

/**
 * The fast path for the server, which keeps one session's state in memory and evolves it on
 * every event: updates `state` in place instead of copying the active-request map.
 */
export const evolveSessionInPlace = (state: MutableSessionState, event: SessionEvent): MutableSessionState => {
  switch (event.type) {
    case 'SessionStarted':
      state.status = 'open';
      state.agent = event.data.agent;
      state.transport = event.data.transport;
      state.instance = event.data.instance;
      break;
    case 'SessionInitialized':
      state.initialization = event.data;
      break;
    case 'SessionAdopted':
      state.instance = event.data.instance;
      break;
    case 'RequestReceived':
      state.active.set(requestKey(event.data.requestId), {
        requestId: event.data.requestId,
        method: event.data.method,
        toolCall: undefined,
        ...(event.data.stream === undefined ? {} : { stream: event.data.stream }),
      });
      break;
    case 'RequestCompleted':
    case 'RequestFailed':
    case 'RequestTimedOut':
    case 'RequestCancelled':
      state.active.delete(requestKey(event.data.requestId));
      break;
    case 'ToolCallRequested':
    case 'ToolCallDenied':
    case 'ToolCallSucceeded':
    case 'ToolCallFailed':
    case 'ToolCallInputRequired':
    case 'ToolCallRunAsTask': {
      const key = requestKey(event.data.requestId);
      const request = state.active.get(key);
      if (request !== undefined) {
        const settled = event.type !== 'ToolCallRequested';
        state.active.set(key, { ...request, toolCall: { tool: event.data.tool, settled } });
      }
      break;
    }
    case 'ClientRequestSent':
    case 'ClientRequestAnswered':
    case 'ClientRequestFailed': {
      const key = requestKey(event.data.requestId);
      const request = state.active.get(key);
      if (request === undefined) break;
      const clientKey = requestKey(event.data.clientRequestId);
      const pending = (request.pendingClientRequests ?? []).filter((pendingKey) => pendingKey !== clientKey);
      if (event.type === 'ClientRequestSent') pending.push(clientKey);
      state.active.set(key, { ...request, pendingClientRequests: pending });
      break;
    }
    case 'SessionEnded':
      state.status = 'ended';
      state.active.clear();
      break;
  }
  return state;
};

/** The pure evolve: copies the state, then applies the event to the copy. */
export const evolveSession = (state: SessionState, event: SessionEvent): SessionState =>
  evolveSessionInPlace(copySessionState(state), event);

type Decision = E.Either<DomainError, readonly SessionEvent[]>;

/** The JSON-RPC code (internal error) recorded for a request cut off by the end of its server process. */
export const CUT_OFF_CODE = -32603;

const requestNotActive = (requestId: RequestId): Decision =>
  E.left(
    domainError(
      'REQUEST_NOT_ACTIVE',
      `Request ${JSON.stringify(requestId)} is not active in this session: it was never received or has already ended ` +
        '(completed, failed, timed out or cancelled). Its outcome is already recorded; nothing more to do.',
      { requestId },
    ),
  );

/** Copies only the defined optional fields, so an event never records `"key": undefined`. */
const definedOnly = <T extends object>(fields: T): T =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;

const decideToolCallOutcome = (
  request: ActiveRequest,
  tool: string,
  outcome: SessionEvent,
): E.Either<DomainError, readonly SessionEvent[]> => {
  if (request.toolCall?.settled === true) {
    return E.left(
      domainError(
        'TOOL_CALL_ALREADY_SETTLED',
        `The tool call of request ${JSON.stringify(request.requestId)} already has its outcome recorded.`,
        { requestId: request.requestId },
      ),
    );
  }
  if (request.toolCall !== undefined && request.toolCall.tool !== tool) {
    return E.left(
      domainError(
        'TOOL_MISMATCH',
        `Request ${JSON.stringify(request.requestId)} called tool "${request.toolCall.tool}", not "${tool}".`,
        { requestId: request.requestId, requested: request.toolCall.tool, reported: tool },
      ),
    );
  }
  return E.right([outcome]);
};

type TerminalCommand = Extract<
  SessionCommand,
  { type: 'CompleteRequest' | 'FailRequest' | 'TimeOutRequest' | 'CancelRequest' }
>;

const durationsOf = (command: TerminalCommand): number[] => {
  switch (command.type) {
    case 'CompleteRequest':
    case 'FailRequest':
      return [command.data.durationMs];
    case 'TimeOutRequest':
      return [command.data.ttlMs, command.data.ageMs];
    case 'CancelRequest':
      return [];
  }
};

/** The one event that ends a request. */
const terminalEventOf = (command: TerminalCommand): SessionEvent => {
  switch (command.type) {
    case 'CompleteRequest':
      return { type: 'RequestCompleted', data: command.data };
    case 'FailRequest':
      return { type: 'RequestFailed', data: command.data };
    case 'TimeOutRequest':
      return { type: 'RequestTimedOut', data: command.data };
    case 'CancelRequest':
      return { type: 'RequestCancelled', data: command.data };
  }
};

export const decideSession = (command: SessionCommand, state: SessionState): Decision => {
  if (command.type === 'StartSession') {
    if (state.status !== 'not_started') {
      return E.left(
        domainError('SESSION_ALREADY_STARTED', 'This session has already started; open a new session instead.'),
      );
    }
    return E.right([{ type: 'SessionStarted', data: definedOnly(command.data) }]);
  }
  if (state.status === 'not_started') {
    return E.left(domainError('SESSION_NOT_STARTED', 'Start the session before sending requests.'));
  }
  if (state.status === 'ended') {
    return E.left(domainError('SESSION_ENDED', 'This session has ended; open a new session to send requests.'));
  }

  switch (command.type) {
    case 'ReceiveRequest': {
      const { requestId } = command.data;
      if (state.active.has(requestKey(requestId))) {
        return E.left(
          domainError(
            'DUPLICATE_REQUEST_ID',
            `Request id ${JSON.stringify(requestId)} is already in use by a request in flight; ` +
              'use a fresh id for every request.',
            { requestId },
          ),
        );
      }
      return E.right([{ type: 'RequestReceived', data: definedOnly(command.data) }]);
    }
    case 'CompleteRequest':
    case 'FailRequest':
    case 'TimeOutRequest':
    case 'CancelRequest': {
      if (!state.active.has(requestKey(command.data.requestId))) return requestNotActive(command.data.requestId);
      const badDuration = durationsOf(command).find((duration) => !isDurationMs(duration));
      if (badDuration !== undefined) return E.left(invalidDurationError(badDuration));
      return E.right([terminalEventOf(command)]);
    }
    case 'RequestToolCall': {
      const request = state.active.get(requestKey(command.data.requestId));
      if (request === undefined) return requestNotActive(command.data.requestId);
      if (request.toolCall !== undefined) {
        return E.left(
          domainError(
            'TOOL_CALL_ALREADY_REQUESTED',
            `Request ${JSON.stringify(request.requestId)} already called tool "${request.toolCall.tool}"; ` +
              'one request calls one tool.',
            { requestId: request.requestId },
          ),
        );
      }
      return E.right([{ type: 'ToolCallRequested', data: definedOnly(command.data) }]);
    }
    case 'DenyToolCall':
    case 'RecordToolCallSuccess':
    case 'RecordToolCallFailure':
    case 'RecordToolCallInputRequired':
    case 'RecordToolCallRunAsTask': {
      const request = state.active.get(requestKey(command.data.requestId));
      if (request === undefined) return requestNotActive(command.data.requestId);
      if (
        (command.type === 'RecordToolCallSuccess' || command.type === 'RecordToolCallFailure') &&
        !isDurationMs(command.data.durationMs)
      ) {
        return E.left(invalidDurationError(command.data.durationMs));
      }
      const outcome: SessionEvent =
        command.type === 'DenyToolCall'
          ? { type: 'ToolCallDenied', data: command.data }
          : command.type === 'RecordToolCallSuccess'
            ? { type: 'ToolCallSucceeded', data: command.data }
            : command.type === 'RecordToolCallFailure'
              ? { type: 'ToolCallFailed', data: command.data }
              : command.type === 'RecordToolCallRunAsTask'
                ? { type: 'ToolCallRunAsTask', data: command.data }
                : { type: 'ToolCallInputRequired', data: command.data };
      return decideToolCallOutcome(request, command.data.tool, outcome);
    }
    case 'RejectMessage':
      return E.right([{ type: 'MessageRejected', data: definedOnly(command.data) }]);
    case 'InitializeSession':
      if (state.initialization !== undefined) {
        return E.left(
          domainError(
            'SESSION_ALREADY_INITIALIZED',
            'This session is already initialized; open a new session instead.',
          ),
        );
      }
      return E.right([{ type: 'SessionInitialized', data: definedOnly(command.data) }]);
    case 'AdoptSession': {
      // Every request the previous process left unfinished gets its one terminal event first.
      const cutOff: SessionEvent[] = [...state.active.values()].map((request) => ({
        type: 'RequestFailed',
        data: {
          requestId: request.requestId,
          code: CUT_OFF_CODE,
          message: `cut off: ${command.data.reason}`,
          durationMs: 0,
        },
      }));
      return E.right([
        ...cutOff,
        {
          type: 'SessionAdopted',
          data: {
            instance: command.data.instance,
            previous: state.instance ?? null,
            cutOff: command.data.cutOff + cutOff.length,
          },
        },
      ]);
    }
    case 'StreamMessage':
      return E.right([{ type: 'MessageStreamed', data: definedOnly(command.data) }]);
    case 'SendClientRequest':
    case 'RecordClientAnswer':
    case 'RecordClientRequestFailure': {
      const request = state.active.get(requestKey(command.data.requestId));
      if (request === undefined) return requestNotActive(command.data.requestId);
      const isPending = (request.pendingClientRequests ?? []).includes(requestKey(command.data.clientRequestId));
      if (command.type === 'SendClientRequest') {
        if (isPending) {
          return E.left(
            domainError(
              'DUPLICATE_CLIENT_REQUEST_ID',
              `Client request id ${JSON.stringify(command.data.clientRequestId)} is already awaiting an answer.`,
              { clientRequestId: command.data.clientRequestId },
            ),
          );
        }
        return E.right([{ type: 'ClientRequestSent', data: definedOnly(command.data) }]);
      }
      if (!isPending) {
        return E.left(
          domainError(
            'CLIENT_REQUEST_NOT_PENDING',
            `Client request ${JSON.stringify(command.data.clientRequestId)} is not awaiting an answer: ` +
              'it was never sent for this request, or its outcome is already recorded.',
            { clientRequestId: command.data.clientRequestId },
          ),
        );
      }
      return command.type === 'RecordClientAnswer'
        ? E.right([{ type: 'ClientRequestAnswered', data: definedOnly(command.data) }])
        : E.right([{ type: 'ClientRequestFailed', data: command.data }]);
    }
    case 'EndSession': {
      // Every request still in flight gets its one terminal event before the session closes.
      const cancellations: SessionEvent[] = [...state.active.values()].map((request) => ({
        type: 'RequestCancelled',
        data: { requestId: request.requestId, reason: `session ended: ${command.data.reason}` },
      }));
      return E.right([...cancellations, { type: 'SessionEnded', data: { reason: command.data.reason } }]);
    }
  }
};

export const sessionDecider: Decider<SessionCommand, SessionEvent, SessionState> = {
  initialState: initialSessionState,
  evolve: evolveSession,
  decide: decideSession,
};
