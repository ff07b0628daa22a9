import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { internalError } from '../../protocol/rpc-errors.js';
import { AUDITOR_PERMISSION } from '../api/resources-api.js';
import type { ServerContext } from '../server-context.js';
import { AccessLog } from './access-log.js';
import { type Authentication, BearerTokens } from './bearer-tokens.js';
import { factsOf, headerOf, httpRefusal, sendRpcError } from './http-responses.js';
import { isLoopbackHost, type ListenAddress, urlOf } from './listen-address.js';
import { McpEndpoint } from './mcp-endpoint.js';
import { Operations } from './operations.js';
import { isOriginAllowed } from './origin-policy.js';
import { AgentRateLimits } from './rate-limits.js';
import { Refusals } from './refusals.js';

export const MCP_PATH = '/mcp';
export const HEALTH_PATH = '/healthz';
export const METRICS_PATH = '/metrics';

export interface HttpServerOptions {
  readonly context: ServerContext;
  readonly address: ListenAddress;
  /** `--agent`: the agent requests without an Authorization header act for. Loopback addresses only. */
  readonly defaultAgent?: string;
}

export interface RunningHttpServer {
  /** The MCP endpoint's URL, with the port actually bound. */
  readonly url: string;
  readonly address: ListenAddress;
  /** Refuses new sessions, lets in-flight requests finish (up to the grace period), ends every session, closes. */
  readonly stop: (reason: string) => Promise<void>;
  /** Takes over the session of a stopped process (start-up recovery), as a returning client would. */
  readonly recoverSession: (sessionId: string, agent: string) => Promise<unknown>;
}

/** A setting that makes serving over HTTP unsafe or useless: the server refuses to start. */
export class HttpServerSetupError extends Error {
  override readonly name = 'HttpServerSetupError';
}

/** Headers a browser client may send and read, for origins the origin policy lets in. */
const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';
const CORS_EXPOSED_HEADERS = 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After';

const UNAUTHORIZED_MESSAGE =
  'Unauthorized: send "Authorization: Bearer <token>". Create a token with `apex token create AGENT` ' +
  'and add the hash it prints to the "tokens" section of the configuration.';

const wwwAuthenticate = (refusal: Extract<Authentication, { kind: 'refused' }>): string => {
  if (refusal.reason === 'missing_token') return 'Bearer realm="apex"';
  if (refusal.reason === 'malformed_authorization') {
    return 'Bearer realm="apex", error="invalid_request", error_description="use: Authorization: Bearer <token>"';
  }
  return 'Bearer realm="apex", error="invalid_token", error_description="the token is not known"';
};

const pathOf = (url: string | undefined): string => {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
};

/** Refuses a setup that would be unsafe (a default agent reachable from the network) or useless (nobody can get in). */
export const checkHttpSetup = (
  config: ServerContext['config'],
  address: ListenAddress,
  defaultAgent: string | undefined,
): void => {
  if (defaultAgent !== undefined && !isLoopbackHost(address.host)) {
    throw new HttpServerSetupError(
      `--agent makes unauthenticated requests act for ${defaultAgent}; that is allowed only on a loopback address ` +
        `(127.0.0.1, ::1, localhost), not ${address.host}. Give each client a token instead (apex token create).`,
    );
  }
  if (config.tokens.size === 0 && defaultAgent === undefined) {
    throw new HttpServerSetupError(
      'no client could be served: the configuration lists no "tokens" and no --agent was given. ' +
        'Create a token with `apex token create AGENT`, or pass --agent ID on a loopback address.',
    );
  }
};

/**
 * `apex serve --http`: MCP's Streamable HTTP transport on one endpoint (/mcp), plus /healthz and
 * /metrics, on node:http. Every request is checked in this order: a known path, the Origin
 * (DNS-rebinding protection), the bearer token (→ the agent), then the endpoint's own rules.
 * Every refusal of the Origin or the token is recorded before it is answered.
 */
export const startHttpServer = async (options: HttpServerOptions): Promise<RunningHttpServer> => {
  const { context, address, defaultAgent } = options;
  const { config, logger } = context;
  checkHttpSetup(config, address, defaultAgent);
  const tokens = new BearerTokens(config.tokens, defaultAgent);
  const refusals = new Refusals(new AccessLog(context.store), logger);
  const endpoint = new McpEndpoint({
    context,
    refusals,
    rateLimits: new AgentRateLimits((agent) => config.agents.get(agent)?.rateLimit ?? config.limits.rateLimit),
    maxBodyBytes: config.limits.maxMessageBytes,
    keepAliveMs: config.http.keepAliveMs,
    sessionIdleMs: config.http.sessionIdleMs,
  });
  const operations = new Operations(context.store, logger, {
    sessions: () => endpoint.sessionCount,
    draining: () => endpoint.isDraining,
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = pathOf(request.url);
    if (path !== MCP_PATH && path !== HEALTH_PATH && path !== METRICS_PATH) {
      // Not recorded: scanners probing paths are not requests to APEX.
      sendRpcError(response, 404, httpRefusal(`Not Found: the MCP endpoint is ${MCP_PATH}`));
      return;
    }
    const facts = factsOf(request, path);
    const origin = headerOf(request, 'origin');
    if (!isOriginAllowed(origin, config.http.allowedOrigins)) {
      await refusals.refuseAccess(
        response,
        403,
        'origin_not_allowed',
        facts,
        `Forbidden: Origin ${JSON.stringify(origin?.slice(0, 100))} is not allowed; add it to "http.allowedOrigins"`,
      );
      return;
    }
    if (origin !== undefined) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
      response.setHeader('Vary', 'Origin');
    }
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      response.end();
      return;
    }
    if (path === HEALTH_PATH) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        sendRpcError(response, 405, httpRefusal('Method Not Allowed: use GET'), { headers: { Allow: 'GET' } });
        return;
      }
      await operations.health(response);
      return;
    }

    const authentication = tokens.authenticate(headerOf(request, 'authorization'));
    if (authentication.kind === 'refused') {
      const { reason, tokenHashPrefix } = authentication;
      await refusals.refuseAccess(response, 401, reason, facts, UNAUTHORIZED_MESSAGE, {
        ...(tokenHashPrefix === undefined ? {} : { tokenHashPrefix }),
        headers: { 'WWW-Authenticate': wwwAuthenticate(authentication) },
      });
      return;
    }
    const { agent } = authentication;
    if (path === METRICS_PATH) {
      if (request.method !== 'GET') {
        sendRpcError(response, 405, httpRefusal('Method Not Allowed: use GET'), { headers: { Allow: 'GET' } });
        return;
      }
      // /metrics shows every agent's balance: the same permission as reading another agent's ledger.
      if (!(config.agents.get(agent)?.permissions.includes(AUDITOR_PERMISSION) ?? false)) {
        await refusals.refuseAccess(
          response,
          403,
          'permission_denied',
          facts,
          `Forbidden: ${METRICS_PATH} needs the ${AUDITOR_PERMISSION} permission`,
          { agent },
        );
        return;
      }
      await operations.metrics(response);
      return;
    }
    await endpoint.handle(request, response, agent, facts);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error, method: request.method, url: request.url }, 'HTTP request failed');
      if (!response.headersSent) {
        sendRpcError(response, 500, internalError());
      } else response.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound: ListenAddress = { host: address.host, port: (server.address() as AddressInfo).port };
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await endpoint.drain(reason);
      await operations.stop();
      // Every session has ended and answered; what is left is idle keep-alive sockets.
      server.closeAllConnections();
      await closed;
    })();
    return stopping;
  };
  return {
    url: urlOf(bound, MCP_PATH),
    address: bound,
    stop,
    recoverSession: (sessionId, agent) => endpoint.recoverSession(sessionId, agent),
  };
};
