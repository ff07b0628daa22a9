import { randomUUID } from 'node:crypto';
import type { IncomingMessage as HttpRequest, ServerResponse } from 'node:http';
import * as E from 'fp-ts/lib/Either.js';
import type { RateLimitKind } from '../../domain/access/events.js';
import type { RequestId } from '../../domain/event-definition.js';
import { modernHttpStatus } from '../../protocol/modern-errors.js';
import { classifyModernHttpRequest } from '../../protocol/modern-headers.js';
import { SUPPORTED_MODERN_PROTOCOL_VERSIONS, SUPPORTED_PROTOCOL_VERSIONS } from '../../protocol/protocol-version.js';
import { internalError, invalidRequest } from '../../protocol/rpc-errors.js';
import { isValidId } from '../../store/stream-name.js';
import type { IncomingMessage, OutgoingMessage } from '../connection.js';
import { instanceHasStopped } from '../instance.js';
import { recordedSession, releaseCutOffReservations } from '../recovery.js';
import type { ServerContext } from '../server-context.js';
import {
  accepts,
  type HttpRequestFacts,
  headerOf,
  httpRefusal,
  mediaTypeOf,
  sendJson,
  sendRpcError,
} from './http-responses.js';
import { HttpSession, type ResponseSink, type Resumption } from './http-session.js';
import { serveModernRequest } from './modern-exchange.js';
import type { Admission, AgentRateLimits, CallAdmission } from './rate-limits.js';
import { receiveMessage } from './receive-message.js';
import type { Refusals } from './refusals.js';
import { SessionRegistry } from './session-registry.js';

export interface McpEndpointOptions {
  readonly context: ServerContext;
  readonly refusals: Refusals;
  readonly rateLimits: AgentRateLimits;
  readonly maxBodyBytes: number;
  readonly keepAliveMs: number;
  readonly sessionIdleMs: number;
}

type RequestMessage = Extract<IncomingMessage, { kind: 'request' }>;

/** What the client can read: MCP clients must accept both, but a plain one may accept only JSON. */
interface Acceptance {
  readonly json: boolean;
  readonly sse: boolean;
}

const SESSION_HEADER = 'mcp-session-id';
const PROTOCOL_VERSION_HEADER = 'mcp-protocol-version';

/** While draining, a client is told to come back after this long (it reaches the next instance). */
const DRAINING_RETRY_AFTER_S = '5';

const SESSION_NOT_FOUND =
  'Session not found: it ended or never existed. Send initialize without an Mcp-Session-Id header to start a new one.';

/** Requests whose handling may send notifications first (progress, logs): they get an SSE stream when the client takes one. */
const mayNotify = (message: RequestMessage): boolean => {
  if (message.method === 'tools/call') return true;
  const meta = (message.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta;
  return meta?.progressToken !== undefined;
};

/**
 * The MCP endpoint of the Streamable HTTP transport (revision 2025-11-25): POST carries client
 * messages, GET opens the session's server-to-client stream, DELETE ends the session. The agent
 * is already authenticated; this enforces sessions (each bound to its agent), headers, body
 * limits and the agent's rate limits, and hands messages to the session's McpConnection.
 */
export class McpEndpoint {
  private readonly sessions: SessionRegistry;
  private readonly refusals: Refusals;
  private draining = false;
  private readonly adopting = new Map<string, Promise<HttpSession | undefined>>();

  constructor(private readonly options: McpEndpointOptions) {
    this.sessions = new SessionRegistry(options.sessionIdleMs, options.context.logger);
    this.refusals = options.refusals;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async handle(request: HttpRequest, response: ServerResponse, agent: string, facts: HttpRequestFacts): Promise<void> {
    switch (request.method) {
      case 'POST':
        return this.post(request, response, agent, facts);
      case 'GET':
        return this.openStream(request, response, agent, facts);
      case 'DELETE':
        return this.endSession(request, response, agent, facts);
      default:
        sendRpcError(response, 405, httpRefusal('Method Not Allowed: use POST, GET or DELETE on /mcp'), {
          headers: { Allow: 'GET, POST, DELETE' },
        });
    }
  }

  /** Stops taking sessions and ends every open one, letting in-flight requests finish (up to the grace period). */
  async drain(reason: string): Promise<void> {
    this.draining = true;
    await this.sessions.endAll(reason);
  }

  private async post(request: HttpRequest, response: ServerResponse, agent: string, facts: HttpRequestFacts) {
    const accept = headerOf(request, 'accept');
    const acceptance: Acceptance = {
      json: accepts(accept, 'application/json'),
      sse: accepts(accept, 'text/event-stream'),
    };
    if (!acceptance.json && !acceptance.sse) {
      sendRpcError(
        response,
        406,
        httpRefusal('Not Acceptable: the Accept header must list application/json and text/event-stream'),
      );
      return;
    }
    if (mediaTypeOf(headerOf(request, 'content-type')) !== 'application/json') {
      sendRpcError(response, 415, httpRefusal('Unsupported Media Type: POST a JSON-RPC message as application/json'));
      return;
    }
    // Taken before the body is read, so a refused client cannot make the server read much; the
    // body is still read, because the refusal of a request inside a session answers its id.
    const admission = this.options.rateLimits.admitRequest(agent);

    const message = await receiveMessage(request, response, this.options.maxBodyBytes);
    if (message === undefined) return;

    if (message.kind !== 'response') {
      // The body decides the era; the headers must agree with it (2026-07-28 Streamable HTTP).
      const gate = classifyModernHttpRequest((name) => headerOf(request, name), message, {
        supportedVersions: SUPPORTED_MODERN_PROTOCOL_VERSIONS,
        toolInputSchema: this.toolSchemaOf(message),
      });
      if (E.isLeft(gate)) {
        sendJson(response, modernHttpStatus(gate.left, 'gate'), {
          jsonrpc: '2.0',
          id: message.kind === 'request' ? message.id : null,
          error: gate.left,
        });
        return;
      }
      // A modern request has no session: an Mcp-Session-Id sent along is ignored.
      if (gate.right.era === 'modern') return this.modern(message, response, agent, facts, admission, acceptance);
    }

    let session: HttpSession | undefined;
    if (headerOf(request, SESSION_HEADER) !== undefined) {
      session = await this.sessionOf(request, response, agent, facts);
      if (session === undefined || !this.protocolVersionIsSupported(request, response)) return;
      session.touch();
    }

    if (session === undefined) return this.initialize(message, response, agent, facts, admission, acceptance);
    if (message.kind !== 'request') {
      // A throttled client can still cancel: cancelling frees capacity.
      const isCancellation = message.kind === 'notification' && message.method === 'notifications/cancelled';
      if (!admission.admitted && !isCancellation) {
        await this.refusals.tooManyRequests(response, agent, 'requests_per_second', admission.retryAfterMs, facts, {
          sessionId: session.id,
        });
        return;
      }
      await session.handleMessage(message);
      response.writeHead(202).end();
      return;
    }
    const refused = { sessionId: session.id, id: message.id, method: message.method };
    if (!admission.admitted) {
      await this.refusals.overLimit(response, agent, refused, 'requests_per_second', admission.retryAfterMs, facts);
      return;
    }
    if (session.hasRequestInFlight(message.id)) {
      // JSON-RPC ids must be unique among requests in flight; the original request goes on.
      sendJson(
        response,
        200,
        {
          jsonrpc: '2.0',
          id: message.id,
          error: invalidRequest(`request id ${JSON.stringify(message.id)} is already in flight; use a new id`),
        },
        { 'Mcp-Session-Id': session.id },
      );
      return;
    }
    const call = this.options.rateLimits.startCall(agent);
    if (!call.admitted) {
      await this.refusals.overLimit(response, agent, refused, 'concurrent_calls', call.retryAfterMs, facts);
      return;
    }
    try {
      await session.handleRequest(message, this.sinkFor(message, response, session, acceptance));
    } finally {
      call.end();
    }
  }

  /** While shutting down, a request that would start new work is answered 503 with Retry-After. */
  private refusedWhileDraining(response: ServerResponse, id: RequestId): boolean {
    if (!this.draining) return false;
    sendRpcError(response, 503, httpRefusal('Service Unavailable: the server is shutting down; retry shortly'), {
      id,
      headers: { 'Retry-After': DRAINING_RETRY_AFTER_S },
    });
    return true;
  }

  /**
   * Takes a concurrent-call slot for a request outside a session (a new session's initialize, a
   * stateless request), or refuses it (429, recorded) when either limit is reached.
   */
  private async startCall(
    response: ServerResponse,
    agent: string,
    facts: HttpRequestFacts,
    admission: Admission,
    method: string,
  ): Promise<Extract<CallAdmission, { admitted: true }> | undefined> {
    const call: CallAdmission = admission.admitted ? this.options.rateLimits.startCall(agent) : admission;
    if (call.admitted) return call;
    const limit: RateLimitKind = admission.admitted ? 'concurrent_calls' : 'requests_per_second';
    await this.refusals.tooManyRequests(response, agent, limit, call.retryAfterMs, facts, { method });
    return undefined;
  }

  /** For tools/call, the called tool's input schema: its `x-mcp-header` arguments are checked against headers. */
  private toolSchemaOf(message: Exclude<IncomingMessage, { kind: 'response' }>): object | undefined {
    if (message.method !== 'tools/call') return undefined;
    const name = (message.params as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? this.options.context.catalog.get(name)?.tool.inputSchema : undefined;
  }

  /** A 2026-07-28 message: no session; a request is an exchange of its own (see serveModernRequest). */
  private async modern(
    message: Exclude<IncomingMessage, { kind: 'response' }>,
    response: ServerResponse,
    agent: string,
    facts: HttpRequestFacts,
    admission: Admission,
    acceptance: Acceptance,
  ): Promise<void> {
    if (message.kind === 'notification') {
      // Nothing to deliver it to: this revision cancels a request by closing its HTTP request.
      response.writeHead(202).end();
      return;
    }
    if (this.refusedWhileDraining(response, message.id)) return;
    const call = await this.startCall(response, agent, facts, admission, message.method);
    if (call === undefined) return;
    try {
      await serveModernRequest({
        context: this.options.context,
        agent,
        message,
        response,
        acceptsSse: acceptance.sse,
        keepAliveMs: this.options.keepAliveMs,
      });
    } finally {
      call.end();
    }
  }

  /** A POST without a session: only an initialize request may open one. */
  private async initialize(
    message: IncomingMessage,
    response: ServerResponse,
    agent: string,
    facts: HttpRequestFacts,
    admission: Admission,
    acceptance: Acceptance,
  ): Promise<void> {
    if (message.kind !== 'request' || message.method !== 'initialize') {
      sendRpcError(
        response,
        400,
        httpRefusal(
          'Bad Request: the Mcp-Session-Id header is required. A session starts with an initialize request sent without one.',
        ),
        { id: message.kind === 'request' ? message.id : null },
      );
      return;
    }
    if (this.refusedWhileDraining(response, message.id)) return;
    // Each open session holds a connection and a session stream in memory: their number is capped too.
    const sessionAdmission = this.options.rateLimits.admitSession(agent, this.sessions.countOf(agent));
    if (admission.admitted && !sessionAdmission.admitted) {
      await this.refusals.tooManyRequests(response, agent, 'open_sessions', sessionAdmission.retryAfterMs, facts, {
        method: message.method,
      });
      return;
    }
    const call = await this.startCall(response, agent, facts, admission, message.method);
    if (call === undefined) return;
    try {
      const session = await HttpSession.open(this.options.context, randomUUID(), agent, this.options.keepAliveMs);
      this.sessions.add(session);
      let started = false;
      const onAnswer = (answer: OutgoingMessage) => {
        started = 'result' in answer;
        const version = (answer.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
        if (typeof version === 'string') session.useProtocolVersion(version);
      };
      const sink: ResponseSink = acceptance.json
        ? {
            kind: 'json',
            onAnswer,
            respond: (answer) => {
              const headers: Record<string, string> = started ? { 'Mcp-Session-Id': session.id } : {};
              if (answer === undefined) response.writeHead(202, headers).end();
              else sendJson(response, 200, answer, headers);
            },
          }
        : { kind: 'sse', onAnswer, stream: session.openRequestStream(response, message.id) };
      await session.handleRequest(message, sink);
      if (!started) await this.sessions.end(session, 'initialize failed');
    } catch (error) {
      this.options.context.logger.error({ err: error, agent }, 'could not open an HTTP session');
      sendRpcError(response, 500, internalError(), {
        id: message.id,
      });
    } finally {
      call.end();
    }
  }

  /** GET: the session's stream for messages not tied to a request (resource updates). */
  private async openStream(request: HttpRequest, response: ServerResponse, agent: string, facts: HttpRequestFacts) {
    if (!accepts(headerOf(request, 'accept'), 'text/event-stream')) {
      sendRpcError(
        response,
        406,
        httpRefusal('Not Acceptable: a GET on /mcp opens an SSE stream; accept text/event-stream'),
      );
      return;
    }
    const session = await this.sessionOf(request, response, agent, facts);
    if (session === undefined || !this.protocolVersionIsSupported(request, response)) return;
    const admission = this.options.rateLimits.admitRequest(agent);
    if (!admission.admitted) {
      await this.refusals.tooManyRequests(response, agent, 'requests_per_second', admission.retryAfterMs, facts, {
        sessionId: session.id,
      });
      return;
    }
    session.touch();
    const lastEventId = headerOf(request, 'last-event-id');
    let opened: Resumption;
    if (lastEventId === undefined) opened = session.openStandaloneStream(response) ? 'resumed' : 'conflict';
    else opened = session.resume(response, lastEventId);
    if (opened === 'conflict') {
      sendRpcError(
        response,
        409,
        httpRefusal('Conflict: this session already has its GET stream open (one per session)'),
      );
    } else if (opened === 'unknown') {
      sendRpcError(
        response,
        400,
        httpRefusal(`Bad Request: nothing to resume after event ${JSON.stringify(lastEventId?.slice(0, 40))}`),
      );
    }
  }

  /** DELETE: ends the session once its in-flight requests are done; answers after SessionEnded is durable. */
  private async endSession(request: HttpRequest, response: ServerResponse, agent: string, facts: HttpRequestFacts) {
    const session = await this.sessionOf(request, response, agent, facts);
    if (session === undefined || !this.protocolVersionIsSupported(request, response)) return;
    try {
      await this.sessions.end(session, 'the client ended the session (HTTP DELETE)');
      response.writeHead(200).end();
    } catch (error) {
      this.options.context.logger.error({ err: error, session: session.id }, 'could not record the end of a session');
      sendRpcError(response, 500, internalError());
    }
  }

  /** The session the request names, if it exists and belongs to `agent`; otherwise answers 400 or 404. */
  private async sessionOf(
    request: HttpRequest,
    response: ServerResponse,
    agent: string,
    facts: HttpRequestFacts,
  ): Promise<HttpSession | undefined> {
    const id = headerOf(request, SESSION_HEADER);
    if (id === undefined) {
      sendRpcError(
        response,
        400,
        httpRefusal('Bad Request: the Mcp-Session-Id header is required; initialize first to get a session id'),
      );
      return undefined;
    }
    const session = this.sessions.get(id) ?? (await this.adoptStopped(id, agent));
    if (session === undefined || session.isEnding) {
      sendRpcError(response, 404, httpRefusal(SESSION_NOT_FOUND));
      return undefined;
    }
    if (session.agent !== agent) {
      // Answered exactly like an unknown session: another agent's session ids are not confirmed.
      await this.refusals.refuseAccess(response, 404, 'session_of_another_agent', facts, SESSION_NOT_FOUND, {
        agent,
        sessionId: id.slice(0, 100),
      });
      return undefined;
    }
    return session;
  }

  /**
   * A session this process does not hold: if the log has it open, over HTTP, and the process that
   * ran it has stopped (a restart), it is taken over (see HttpSession.adopt). Sessions of a live
   * process, ended ones and unknown ids stay unknown. One take-over per id at a time.
   */
  /** Start-up recovery: takes over a stopped process's session, sharing the one take-over with its client. */
  recoverSession(id: string, agent: string): Promise<HttpSession | undefined> {
    return this.sessions.get(id) !== undefined ? Promise.resolve(this.sessions.get(id)) : this.adoptStopped(id, agent);
  }

  private adoptStopped(id: string, agent: string): Promise<HttpSession | undefined> {
    if (this.draining || !isValidId(id)) return Promise.resolve(undefined);
    let adopting = this.adopting.get(id);
    if (adopting === undefined) {
      const { context, keepAliveMs } = this.options;
      adopting = (async () => {
        const recorded = await recordedSession(context.store, id);
        if (recorded === undefined || recorded.status !== 'open' || recorded.transport !== 'http') return undefined;
        // Only its own agent may bring a session back; to anyone else it stays unknown.
        if (recorded.agent !== agent) return undefined;
        const ours = recorded.instance?.id === context.instance.id;
        if (!ours && !instanceHasStopped(recorded.instance, context.instance)) return undefined;
        const session = await HttpSession.adopt(context, id, recorded.agent, keepAliveMs, async (correlationIds) => {
          await releaseCutOffReservations(context.accounts, recorded.agent, correlationIds);
        });
        this.sessions.add(session);
        context.logger.info({ session: id, agent: recorded.agent, previous: recorded.instance }, 'took over a session');
        return session;
      })()
        .catch((error: unknown) => {
          context.logger.error({ err: error, session: id }, 'could not take over a session');
          return undefined;
        })
        .finally(() => this.adopting.delete(id));
      this.adopting.set(id, adopting);
    }
    return adopting;
  }

  /** MCP-Protocol-Version, when sent, must be a revision APEX speaks; without it the negotiated one applies. */
  private protocolVersionIsSupported(request: HttpRequest, response: ServerResponse): boolean {
    const version = headerOf(request, PROTOCOL_VERSION_HEADER);
    if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return true;
    sendRpcError(
      response,
      400,
      httpRefusal(
        `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(version.slice(0, 40))}; use one of ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
      ),
    );
    return false;
  }

  private sinkFor(
    message: RequestMessage,
    response: ServerResponse,
    session: HttpSession,
    acceptance: Acceptance,
  ): ResponseSink {
    if (acceptance.sse && (!acceptance.json || mayNotify(message))) {
      return { kind: 'sse', stream: session.openRequestStream(response, message.id) };
    }
    const headers = { 'Mcp-Session-Id': session.id };
    return {
      kind: 'json',
      respond: (answer) => {
        // No answer (a cancelled request): 202, as for a message that needs none.
        if (answer === undefined) response.writeHead(202, headers).end();
        else sendJson(response, 200, answer, headers);
      },
    };
  }
}
