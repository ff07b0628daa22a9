import * as E from 'fp-ts/lib/Either.js';
import type { Logger } from 'pino';
import type { RequestId } from '../domain/event-definition.js';
import type { SessionCommand } from '../domain/session/commands.js';
import {
  CUT_OFF_CODE,
  copySessionState,
  evolveSessionInPlace,
  type MutableSessionState,
  type SessionState,
  sessionDecider,
} from '../domain/session/decider.js';
import type { SessionEvent } from '../domain/session/events.js';
import { redactParams } from '../domain/session/redact.js';
import { decodeParams } from '../protocol/decode-params.js';
import { JSON_RPC_ERROR_CODES } from '../protocol/error-codes.js';
import { MCP_REQUEST_PARAMS, type McpRequestMethod, type McpRequestParams } from '../protocol/mcp-params.js';
import { TASKS_EXTENSION_ID } from '../protocol/modern-envelope.js';
import { negotiateProtocolVersion } from '../protocol/protocol-version.js';
import type { EventMetadata } from '../store/event-store.js';
import { streamName } from '../store/stream-name.js';
import { type Abandonment, type ActiveRequest, ActiveRequests } from './active-requests.js';
import { Aggregate } from './aggregate.js';
import { ClientRequests } from './client-requests.js';
import {
  internalError,
  invalidRequest,
  methodNotFound,
  requestTimedOut,
  serverNotInitialized,
  toWireError,
} from './errors.js';
import { domainEventCodec } from './event-codec.js';
import { discoverResult, modernResult, REMOVED_IN_MODERN_ERA, type RequestEra, readRequestEra } from './modern-era.js';
import { correlationIdOf, type Handler, type JsonRpcError, type Outcome, type RequestScope } from './outcome.js';
import type { ServerContext } from './server-context.js';
import { LOG_LEVELS, type LogLevel } from './tools/tool-definition.js';

export type IncomingMessage =
  | { readonly kind: 'request'; readonly id: RequestId; readonly method: string; readonly params: unknown }
  | { readonly kind: 'notification'; readonly method: string; readonly params: unknown }
  | { readonly kind: 'response'; readonly id: RequestId | null; readonly result?: unknown; readonly error?: unknown };

export type OutgoingMessage = Record<string, unknown>;

export interface ConnectionOptions {
  readonly transport: 'stdio' | 'http';
  readonly agent: string;
  readonly sessionId: string;
  /**
   * Hands a message to the transport; called only after the events it acknowledges are durable.
   * `relatedRequestId` names the request a notification belongs to (progress, logs), so HTTP can
   * send it on that request's stream; stdio has one stream and ignores it.
   */
  readonly send: (message: OutgoingMessage, relatedRequestId?: RequestId) => void;
}

type LifecycleState = 'awaiting_initialize' | 'initialized';

const sessionCodec = domainEventCodec<SessionEvent>();

/** Methods a legacy client may call before its initialize handshake completes. */
const ALLOWED_BEFORE_INITIALIZE = new Set(['initialize', 'ping']);

/** How long shutdown waits for requests in flight before cutting them off (recorded as failed). */
export const SHUTDOWN_GRACE_MS = 10_000;

/** What APEX offers every client. */
export const SERVER_CAPABILITIES = {
  tools: { listChanged: false },
  resources: { subscribe: true, listChanged: false },
  prompts: { listChanged: false },
  logging: {},
  completions: {},
} as const;

const SERVER_INSTRUCTIONS =
  'APEX records every request and tool call as a hash-chained event. Tool calls are charged to your account: ' +
  'funds are reserved before a tool runs and the actual cost is charged after. Read payroll://ledger/{your id} ' +
  'or call ledger_balance to see your balance.';

/**
 * One MCP connection (a stdio process, or one HTTP session): its lifecycle, its requests in flight,
 * and its session stream. Every request is recorded as received and as ended (completed, failed,
 * timed out, cancelled), and its response leaves only after those events are durable.
 */
export class McpConnection {
  private readonly requests = new ActiveRequests();
  private lifecycle: LifecycleState = 'awaiting_initialize';
  private protocolVersion: string | undefined;
  private clientInfo: unknown;
  private clientCapabilities: unknown;
  private logLevel: LogLevel = 'info';
  private readonly sweep: NodeJS.Timeout;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly clientRequests: ClientRequests;

  private constructor(
    private readonly server: ServerContext,
    private readonly options: ConnectionOptions,
    private readonly session: Aggregate<SessionCommand, SessionEvent, SessionState>,
  ) {
    this.logger = server.logger.child({ session: options.sessionId, agent: options.agent });
    this.sweep = setInterval(() => this.timeOutExpired(), server.config.limits.gcIntervalMs);
    this.sweep.unref();
    this.clientRequests = new ClientRequests({
      send: (message, relatedRequestId) => {
        if (!this.closed) this.options.send(message, relatedRequestId);
      },
      record: (command, correlationId) => this.record(command, correlationId),
      redact: (payload) => this.recordedParams(payload).params,
      logger: this.logger,
    });
  }

  static async open(server: ServerContext, options: ConnectionOptions): Promise<McpConnection> {
    const session = await Aggregate.load(
      server.store,
      streamName.session(options.sessionId),
      sessionDecider,
      sessionCodec,
      {
        clone: copySessionState,
        evolve: (state, event) => evolveSessionInPlace(state as MutableSessionState, event),
      },
    );
    const connection = new McpConnection(server, options, session);
    if (session.state.status === 'not_started') {
      await connection.record({
        type: 'StartSession',
        data: { transport: options.transport, agent: options.agent, instance: server.instance },
      });
    }
    const initialization = session.state.initialization;
    if (initialization !== undefined) {
      // A session taken over after a restart: its client initialized with the process before.
      connection.protocolVersion = initialization.protocolVersion;
      connection.clientInfo = initialization.clientInfo;
      connection.clientCapabilities = initialization.clientCapabilities;
      connection.lifecycle = 'initialized';
    }
    return connection;
  }

  /** What the session's log says: its status, agent, process and requests left open. */
  get recorded(): SessionState {
    return this.session.state;
  }

  /**
   * Takes the session over from the process that ran it and has stopped: every request it left
   * unfinished is recorded as failed (cut off), then the session as adopted by this process.
   * Returns the requests that were cut off.
   */
  async adopt(
    reason: string,
  ): Promise<ReadonlyArray<SessionState['active'] extends ReadonlyMap<string, infer R> ? R : never>> {
    const cutOff = [...this.session.state.active.values()];
    // One terminal event per request, each under its request's correlation id, then the take-over.
    const ended = cutOff.map((request) =>
      this.record(
        {
          type: 'FailRequest',
          data: { requestId: request.requestId, code: CUT_OFF_CODE, message: `cut off: ${reason}`, durationMs: 0 },
        },
        correlationIdOf(this.options.sessionId, request.requestId),
      ),
    );
    await Promise.all([
      ...ended,
      this.record({ type: 'AdoptSession', data: { instance: this.server.instance, reason, cutOff: cutOff.length } }),
    ]);
    return cutOff;
  }

  get sessionId(): string {
    return this.options.sessionId;
  }

  get inFlight(): number {
    return this.requests.size;
  }

  /**
   * Handles one message; resolves when its handling (and recording) is finished. `stream` names the
   * SSE stream (HTTP) that will carry a request's answer, so it is recorded with the request.
   */
  async handle(message: IncomingMessage, stream?: number): Promise<void> {
    if (message.kind === 'request') return this.handleRequest(message.id, message.method, message.params, stream);
    if (message.kind === 'notification') return this.handleNotification(message.method, message.params);
    if (!this.clientRequests.settle(message)) {
      // An answer nobody waits for (late, after a timeout or cancellation; or never asked): dropped.
      this.logger.debug({ id: message.id }, 'response to no pending server request');
    }
  }

  /** Sends a message that carries no acknowledgement of recorded work (notifications, early errors). */
  sendError(id: RequestId | null, error: JsonRpcError): void {
    this.options.send({ jsonrpc: '2.0', id, error });
  }

  /**
   * Answers a message that is not a valid request (bad JSON, a broken envelope, an oversized line, a
   * reused id) with `error`, after recording that it arrived and how it was answered.
   */
  async rejectMessage(error: JsonRpcError, id: RequestId | null, bytes?: number): Promise<void> {
    try {
      await this.record({
        type: 'RejectMessage',
        data: {
          code: error.code,
          reason: error.message.slice(0, 500),
          ...(id === null ? {} : { requestId: id }),
          ...(bytes === undefined ? {} : { bytes }),
        },
      });
    } catch (recordingError) {
      this.logger.warn({ err: recordingError }, 'could not record a rejected message');
    }
    this.sendError(id, error);
  }

  /** Records a message sent on a resumable SSE stream (HTTP) before it is written; resolves once durable. */
  recordStreamed(stream: number, seq: number, message: OutgoingMessage, requestId?: RequestId): Promise<void> {
    return this.record(
      {
        type: 'StreamMessage',
        data: { stream, seq, message, ...(requestId === undefined ? {} : { requestId }) },
      },
      requestId === undefined ? undefined : correlationIdOf(this.options.sessionId, requestId),
    );
  }

  notify(method: string, params: Record<string, unknown>, relatedRequestId?: RequestId): void {
    if (!this.closed) this.options.send({ jsonrpc: '2.0', method, params }, relatedRequestId);
  }

  private log(level: LogLevel, data: unknown, relatedRequestId?: RequestId, threshold = this.logLevel): void {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(threshold)) return;
    this.notify('notifications/message', { level, logger: 'apex', data }, relatedRequestId);
  }

  private metadataFor(correlationId: string | undefined): EventMetadata {
    const timestamp = new Date().toISOString();
    return correlationId === undefined
      ? { agent: this.options.agent, timestamp }
      : { agent: this.options.agent, correlationId, timestamp };
  }

  private async record(command: SessionCommand, correlationId?: string): Promise<void> {
    const outcome = await this.session.execute(command, this.metadataFor(correlationId));
    // The connection only issues commands its own state allows; a refusal here is a bug.
    if (E.isLeft(outcome)) throw new Error(`session refused ${command.type}: ${outcome.left.message}`);
  }

  private async handleRequest(id: RequestId, method: string, params: unknown, stream?: number): Promise<void> {
    if (this.closing !== undefined) {
      this.sendError(id, invalidRequest('the server is shutting down; send this request on a new connection'));
      return;
    }
    const correlationId = correlationIdOf(this.options.sessionId, id);
    const active = this.requests.add(id, method, correlationId);
    if (active === undefined) {
      // JSON-RPC ids must be unique among requests in flight; the original request goes on.
      await this.rejectMessage(
        invalidRequest(`request id ${JSON.stringify(id)} is already in flight; use a new id`),
        id,
      );
      return;
    }
    try {
      const requestEra = readRequestEra(params);
      active.era = requestEra.era;
      // Each request records the version and client it came with: a modern one its own envelope's.
      // An initialize states what its client asks for and who it is: recorded as it came.
      const handshake =
        requestEra.era === 'legacy' && method === 'initialize'
          ? (params as { protocolVersion?: unknown; clientInfo?: unknown } | undefined)
          : undefined;
      const version =
        requestEra.era === 'legacy'
          ? (this.protocolVersion ??
            (typeof handshake?.protocolVersion === 'string' ? handshake.protocolVersion.slice(0, 40) : undefined))
          : 'envelope' in requestEra
            ? requestEra.envelope.protocolVersion
            : requestEra.claimed;
      const clientInfo =
        requestEra.era === 'legacy'
          ? (this.clientInfo ?? handshake?.clientInfo)
          : 'envelope' in requestEra
            ? requestEra.envelope.clientInfo
            : undefined;
      const received = this.record(
        {
          type: 'ReceiveRequest',
          data: {
            requestId: id,
            method,
            ...this.recordedParams(params),
            ...(version === undefined ? {} : { protocolVersion: version }),
            ...(clientInfo === undefined ? {} : { clientInfo }),
            ...(stream === undefined ? {} : { stream }),
          },
        },
        correlationId,
      );
      let outcome: Outcome;
      try {
        outcome =
          'refusal' in requestEra
            ? { error: requestEra.refusal }
            : await this.route(this.scopeFor(active, params, requestEra));
      } catch (error) {
        this.logger.error({ err: error, method, correlationId }, 'request handler failed');
        outcome = { error: internalError() };
      }
      await received;
      if ('abandoned' in outcome) return;
      if (!active.isClaimed && !active.tryClaim()) return;
      const durationMs = Math.round((performance.now() - active.startedAt) * 1000) / 1000;
      // The request's closing events are decided together, so they share one commit.
      const closing = (outcome.alsoRecord ?? []).map((command) => this.record(command, correlationId));
      closing.push(
        'result' in outcome
          ? this.record({ type: 'CompleteRequest', data: { requestId: id, durationMs } }, correlationId)
          : this.record(
              {
                type: 'FailRequest',
                data: { requestId: id, code: outcome.error.code, message: outcome.error.message, durationMs },
              },
              correlationId,
            ),
      );
      await Promise.all([...closing, ...(outcome.settling ?? [])]);
      if ('result' in outcome) {
        const result =
          active.era === 'modern' ? modernResult(method, outcome.result, this.server.serverInfo) : outcome.result;
        this.options.send({ jsonrpc: '2.0', id, result });
      } else this.options.send({ jsonrpc: '2.0', id, error: toWireError(outcome.error, active.era, active.method) });
    } catch (error) {
      // Recording failed (the store is unreachable): the client must not believe its work was recorded.
      this.logger.error({ err: error, method, correlationId }, 'could not record request');
      if (!active.signal.aborted) this.sendError(id, internalError());
    } finally {
      this.requests.delete(active);
    }
  }

  private recordedParams(params: unknown): { params?: unknown } {
    if (params === undefined) return {};
    const recorded = redactParams(params, this.server.config.recording.params);
    return recorded === undefined ? {} : { params: recorded };
  }

  /**
   * What a handler knows of its request. A legacy request is served with what the connection's
   * initialize settled; a modern one only with its own envelope (version, capabilities, client, and
   * its log level: without one, it gets no log messages).
   */
  private scopeFor(
    active: ActiveRequest,
    params: unknown,
    requestEra: Exclude<RequestEra, { refusal: JsonRpcError }>,
  ): RequestScope {
    const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta;
    const progressToken = meta?.progressToken;
    const envelope = requestEra.era === 'modern' ? requestEra.envelope : undefined;
    const clientCapabilities = envelope === undefined ? this.clientCapabilities : envelope.clientCapabilities;
    const logLevel = envelope === undefined ? this.logLevel : envelope.logLevel;
    return {
      id: active.id,
      method: active.method,
      params,
      agent: this.options.agent,
      sessionId: this.options.sessionId,
      correlationId: active.correlationId,
      era: requestEra.era,
      protocolVersion: envelope?.protocolVersion ?? this.protocolVersion ?? this.server.latestProtocolVersion,
      clientInfo: envelope === undefined ? this.clientInfo : envelope.clientInfo,
      clientCapabilities,
      active,
      progressToken: typeof progressToken === 'string' || typeof progressToken === 'number' ? progressToken : undefined,
      notify: (method, notificationParams) => this.notify(method, notificationParams, active.id),
      log: (level, data) => {
        if (logLevel !== undefined) this.log(level, data, active.id, logLevel);
      },
      recordInSession: (command) => this.record(command, active.correlationId),
      metadata: () => this.metadataFor(active.correlationId),
      requestFromClient: (method, requestParams, options) =>
        envelope === undefined
          ? this.clientRequests.request(
              active,
              clientCapabilities,
              method,
              requestParams,
              options?.timeoutMs ?? this.server.config.limits.requestTtlMs,
            )
          : // 2026-07-28 has no server-to-client requests: a tool needs a multi round-trip result instead.
            Promise.resolve({
              ok: false as const,
              error: {
                code: JSON_RPC_ERROR_CODES.METHOD_NOT_FOUND,
                message: `${method} is not available to 2026-07-28 clients yet (multi round-trip requests are not implemented)`,
              },
            }),
    };
  }

  private async route(scope: RequestScope): Promise<Outcome> {
    const { method } = scope;
    if (
      method !== 'initialize' &&
      scope.era === 'legacy' &&
      this.lifecycle !== 'initialized' &&
      !ALLOWED_BEFORE_INITIALIZE.has(method)
    ) {
      return { error: serverNotInitialized(method) };
    }
    if (scope.era === 'modern') {
      if (REMOVED_IN_MODERN_ERA.has(method)) return { error: methodNotFound(method) };
      if (method === 'server/discover') {
        return {
          // 2026-07-28 extensions are announced here: tasks (long calls answered with a task).
          result: discoverResult(
            { ...SERVER_CAPABILITIES, extensions: { [TASKS_EXTENSION_ID]: {} } },
            SERVER_INSTRUCTIONS,
          ),
        };
      }
    }
    const codec = Object.hasOwn(MCP_REQUEST_PARAMS, method)
      ? MCP_REQUEST_PARAMS[method as McpRequestMethod]
      : undefined;
    let decodedScope = scope;
    if (codec !== undefined) {
      const decoded = decodeParams<unknown>(codec, scope.params);
      if (E.isLeft(decoded)) return { error: decoded.left };
      decodedScope = { ...scope, params: decoded.right };
    }
    if (method === 'initialize') return this.initialize(decodedScope.params as McpRequestParams<'initialize'>);
    if (method === 'logging/setLevel') {
      this.logLevel = (decodedScope.params as McpRequestParams<'logging/setLevel'>).level;
      return { result: {} };
    }
    const handler: Handler | undefined = this.server.handlers.get(method);
    if (handler === undefined) return { error: methodNotFound(method) };
    return handler(decodedScope);
  }

  private initialize(params: McpRequestParams<'initialize'>): Outcome {
    if (this.protocolVersion !== undefined) {
      return { error: invalidRequest('this connection is already initialized; open a new connection to start over') };
    }
    this.protocolVersion = negotiateProtocolVersion(params.protocolVersion);
    this.clientInfo = params.clientInfo;
    this.clientCapabilities = params.capabilities;
    return {
      result: {
        protocolVersion: this.protocolVersion,
        capabilities: SERVER_CAPABILITIES,
        serverInfo: this.server.serverInfo,
        instructions: SERVER_INSTRUCTIONS,
      },
      // What was negotiated is a fact of the session: a process taking it over after a restart needs it.
      alsoRecord: [
        {
          type: 'InitializeSession',
          data: {
            protocolVersion: this.protocolVersion,
            clientInfo: params.clientInfo,
            clientCapabilities: params.capabilities,
          },
        },
      ],
    };
  }

  private async handleNotification(method: string, params: unknown): Promise<void> {
    switch (method) {
      case 'notifications/initialized':
        if (this.protocolVersion !== undefined) this.lifecycle = 'initialized';
        return;
      case 'notifications/cancelled': {
        const requestId = (params as { requestId?: unknown } | undefined)?.requestId;
        const reason = (params as { reason?: unknown } | undefined)?.reason;
        if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
        const active = this.requests.get(requestId);
        if (active === undefined || active.method === 'initialize') return;
        await this.abandon(active, {
          kind: 'cancelled',
          reason: typeof reason === 'string' ? reason.slice(0, 500) : 'cancelled by the client',
        });
        return;
      }
      default:
        // Unknown notifications are ignored, as JSON-RPC requires (no response to a notification).
        return;
    }
  }

  /** The TTL sweep: every request older than the TTL is aborted, answered, recorded and penalised. */
  private timeOutExpired(): void {
    const ttlMs = this.server.config.limits.requestTtlMs;
    for (const active of this.requests.expired(ttlMs)) {
      // A subscription is meant to stay open: it ends when its client ends it, never by TTL.
      if (active.method === 'subscriptions/listen') continue;
      void this.abandon(active, { kind: 'timeout', ttlMs, ageMs: Math.round(active.ageMs()) }).catch((error) =>
        this.logger.error({ err: error, correlationId: active.correlationId }, 'could not record a timeout'),
      );
    }
  }

  private async abandon(active: ActiveRequest, abandonment: Abandonment): Promise<void> {
    if (!active.tryClaim()) return;
    active.abandon(abandonment);
    const { id, correlationId } = active;
    await active.onAbandoned?.(abandonment);
    if (abandonment.kind === 'timeout') {
      await this.server.penalizeTimeout(
        this.options.agent,
        correlationId,
        abandonment.ttlMs,
        this.metadataFor(correlationId),
      );
      await this.record(
        { type: 'TimeOutRequest', data: { requestId: id, ttlMs: abandonment.ttlMs, ageMs: abandonment.ageMs } },
        correlationId,
      );
      this.options.send({
        jsonrpc: '2.0',
        id,
        error: toWireError(requestTimedOut(abandonment.ttlMs), active.era, active.method),
      });
    } else if (abandonment.kind === 'cancelled') {
      // MCP: no response is sent for a request the client cancelled.
      await this.record({ type: 'CancelRequest', data: { requestId: id, reason: abandonment.reason } }, correlationId);
    } else {
      await this.record(
        {
          type: 'FailRequest',
          data: {
            requestId: id,
            code: internalError().code,
            message: 'server shutting down',
            durationMs: active.ageMs(),
          },
        },
        correlationId,
      );
      this.sendError(id, internalError());
    }
  }

  /** Lets go of the session without ending it (another process, or a later request, takes it on). */
  forget(): void {
    clearInterval(this.sweep);
    this.closed = true;
  }

  /** Stops taking work: waits for in-flight requests (cut off after `graceMs`), then ends the session. */
  close(reason: string, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.closing ??= this.drainAndEnd(reason, graceMs).finally(() => {
      this.closed = true;
    });
    return this.closing;
  }

  private async drainAndEnd(reason: string, graceMs: number): Promise<void> {
    clearInterval(this.sweep);
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.requests.drained(), graceOver]);
    clearTimeout(graceTimer);
    for (const active of [...this.requests.all()])
      await this.abandon(active, { kind: 'shutdown' }).catch(() => undefined);
    this.server.subscriptions.dropSession(this.options.sessionId);
    if (this.session.state.status === 'open') await this.record({ type: 'EndSession', data: { reason } });
  }
}
