import type { RequestId } from '../domain/event-definition.js';
import type { SessionCommand } from '../domain/session/commands.js';
import type { EventMetadata } from '../store/event-store.js';
import type { ActiveRequest } from './active-requests.js';
import type {
  ClientAnswer,
  ClientRequestMethod,
  ClientRequestOptions,
  JsonObject,
  LogLevel,
} from './tools/tool-definition.js';

export interface JsonRpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/**
 * What a handler leaves for the connection to record with the request's end, so that all of a
 * request's closing events share one commit: session events to append before the terminal event,
 * and appends already under way elsewhere (a charge on the ledger) that must be durable first.
 */
export interface Recording {
  readonly alsoRecord?: readonly SessionCommand[];
  readonly settling?: readonly Promise<unknown>[];
}

/** How a request ended, as its handler saw it. */
export type Outcome =
  | ({ readonly result: Record<string, unknown> } & Recording)
  | ({ readonly error: JsonRpcError } & Recording)
  /** Someone else (the TTL sweep, a cancellation) claimed the request and records its end. */
  | { readonly abandoned: true };

export const ABANDONED: Outcome = { abandoned: true };

export type Era = 'legacy' | 'modern';

/** Everything a handler knows about the request it serves; filled the same way in both MCP eras. */
export interface RequestScope {
  readonly id: RequestId;
  readonly method: string;
  readonly params: unknown;
  readonly agent: string;
  readonly sessionId: string;
  readonly correlationId: string;
  readonly era: Era;
  readonly protocolVersion: string;
  readonly clientInfo: unknown;
  readonly clientCapabilities: unknown;
  readonly active: ActiveRequest;
  readonly progressToken: string | number | undefined;
  /** Sends a notification to this request's client. */
  readonly notify: (method: string, params: Record<string, unknown>) => void;
  readonly log: (level: LogLevel, data: unknown) => void;
  /** Appends to this session's stream; resolves once durable. */
  readonly recordInSession: (command: SessionCommand) => Promise<void>;
  /** Metadata for an event written on this request's behalf. */
  readonly metadata: () => EventMetadata;
  /** Asks the client something (sampling, elicitation, roots) on behalf of this request; recorded. */
  readonly requestFromClient: (
    method: ClientRequestMethod,
    params: JsonObject,
    options?: ClientRequestOptions,
  ) => Promise<ClientAnswer>;
}

export type Handler = (scope: RequestScope) => Promise<Outcome>;

/** `session:<id>` with the id as JSON, so 1 and "1" stay apart. */
export const correlationIdOf = (sessionId: string, id: RequestId): string =>
  `${sessionId}:${typeof id === 'number' ? id : JSON.stringify(id)}`;
