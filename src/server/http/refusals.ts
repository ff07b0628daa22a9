import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AccessCommand } from '../../domain/access/decider.js';
import type { AccessRefusalReason, RateLimitKind } from '../../domain/access/events.js';
import type { RequestId } from '../../domain/event-definition.js';
import { apexError } from '../../protocol/rpc-errors.js';
import { correlationIdOf } from '../outcome.js';
import type { AccessLog } from './access-log.js';
import { type HttpRequestFacts, httpRefusal, retryAfterSeconds, sendJson, sendRpcError } from './http-responses.js';

/** A JSON-RPC request refused inside a session: answered under its own id. */
export interface RefusedRequest {
  readonly sessionId: string;
  readonly id: RequestId;
  readonly method: string;
}

/**
 * Every refusal is recorded (AccessRefused, RequestRateLimited) before it is answered, so an
 * answered refusal is one an auditor can find. A store failure is logged and the refusal still
 * answered: refusing must not depend on the store.
 */
export class Refusals {
  constructor(
    private readonly accessLog: AccessLog,
    private readonly logger: Logger,
  ) {}

  /** Refuses an HTTP request before it reaches a session: recorded, then `status` with a JSON-RPC error body. */
  async refuseAccess(
    response: ServerResponse,
    status: number,
    reason: AccessRefusalReason,
    facts: HttpRequestFacts,
    message: string,
    extra: {
      readonly agent?: string;
      readonly tokenHashPrefix?: string;
      readonly sessionId?: string;
      readonly headers?: Record<string, string>;
    } = {},
  ): Promise<void> {
    const { headers, ...data } = extra;
    await this.record({ type: 'RefuseAccess', data: { reason, httpStatus: status, ...facts, ...data } });
    sendRpcError(response, status, httpRefusal(message), headers === undefined ? {} : { headers });
  }

  /** An HTTP request over the agent's limit outside a session (initialize, GET, a notification): 429. */
  async tooManyRequests(
    response: ServerResponse,
    agent: string,
    limit: RateLimitKind,
    retryAfterMs: number,
    facts: HttpRequestFacts,
    context: { readonly sessionId?: string; readonly method?: string } = {},
  ): Promise<void> {
    await this.recordRateLimit(agent, limit, retryAfterMs, facts, context);
    sendRpcError(
      response,
      429,
      apexError('AGENT_OVERLOADED', `Too Many Requests: retry after ${retryAfterMs} ms.`, { retryAfterMs }),
      { headers: { 'Retry-After': retryAfterSeconds(retryAfterMs) } },
    );
  }

  /**
   * A request inside a session over a limit: HTTP 200 with the JSON-RPC error AGENT_OVERLOADED for
   * its id, so the client sees one failed call rather than a broken transport.
   */
  async overLimit(
    response: ServerResponse,
    agent: string,
    request: RefusedRequest,
    limit: RateLimitKind,
    retryAfterMs: number,
    facts: HttpRequestFacts,
  ): Promise<void> {
    await this.recordRateLimit(agent, limit, retryAfterMs, facts, {
      sessionId: request.sessionId,
      correlationId: correlationIdOf(request.sessionId, request.id),
      method: request.method.slice(0, 100),
    });
    const what = limit === 'requests_per_second' ? 'requests per second' : 'requests in flight at once';
    sendJson(
      response,
      200,
      {
        jsonrpc: '2.0',
        id: request.id,
        error: apexError('AGENT_OVERLOADED', `Too many ${what} for agent ${agent}; retry after ${retryAfterMs} ms.`, {
          limit,
          retryAfterMs,
        }),
      },
      { 'Mcp-Session-Id': request.sessionId, 'Retry-After': retryAfterSeconds(retryAfterMs) },
    );
  }

  private recordRateLimit(
    agent: string,
    limit: RateLimitKind,
    retryAfterMs: number,
    facts: HttpRequestFacts,
    context: { readonly sessionId?: string; readonly correlationId?: string; readonly method?: string },
  ): Promise<void> {
    return this.record(
      { type: 'RecordRateLimit', data: { agent, limit, retryAfterMs, httpMethod: facts.httpMethod, ...context } },
      context.correlationId,
    );
  }

  private async record(command: AccessCommand, correlationId?: string): Promise<void> {
    try {
      await this.accessLog.record(command, correlationId === undefined ? {} : { correlationId });
    } catch (error) {
      this.logger.error({ err: error, refusal: command.data }, 'could not record an access refusal');
    }
  }
}
