/**
 * Baseline for bench/http-load.ts: an MCP server over Streamable HTTP built with the official SDK
 * 1.x (one McpServer + StreamableHTTPServerTransport per session, stateful like APEX) with one
 * tool, `echo` ({message} → that text), recording nothing. node:http, no framework, as in the
 * SDK's own examples minus express: the body is read and parsed here, then handed to the transport.
 *
 * Run: node --import tsx bench/support/sdk-http-echo-server.ts HOST:PORT [--json]
 *   --json  answer every POST with one JSON body (enableJsonResponse) instead of an SSE stream
 * Serves POST/GET/DELETE on /mcp; exits 0 on SIGTERM or SIGINT after closing every session.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const [address = '127.0.0.1:0', ...flags] = process.argv.slice(2);
const host = address.slice(0, address.lastIndexOf(':'));
const port = Number(address.slice(address.lastIndexOf(':') + 1));
const enableJsonResponse = flags.includes('--json');

/** The same tool as bench/sdk-echo-server.ts (stdio). */
const echoServer = (): McpServer => {
  const server = new McpServer({ name: 'sdk-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns the message it is given.', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
  );
  return server;
};

const transports = new Map<string, StreamableHTTPServerTransport>();

const readJson = async (request: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

const sendError = (response: ServerResponse, status: number, code: number, message: string): void => {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
};

const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
  if ((request.url ?? '/').split('?', 1)[0] !== '/mcp') return sendError(response, 404, -32000, 'Not Found');
  const header = request.headers['mcp-session-id'];
  const sessionId = Array.isArray(header) ? header[0] : header;
  const existing = sessionId === undefined ? undefined : transports.get(sessionId);
  if (request.method !== 'POST') {
    if (existing === undefined) return sendError(response, 400, -32000, 'Bad Request: No valid session ID provided');
    return existing.handleRequest(request, response);
  }
  let body: unknown;
  try {
    body = await readJson(request);
  } catch {
    return sendError(response, 400, -32700, 'Parse error');
  }
  if (existing !== undefined) return existing.handleRequest(request, response, body);
  if (sessionId !== undefined) return sendError(response, 404, -32001, 'Session not found');
  if (!isInitializeRequest(body)) return sendError(response, 400, -32000, 'Bad Request: No valid session ID provided');
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse,
    onsessioninitialized: (id) => {
      transports.set(id, transport);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
  };
  await echoServer().connect(transport);
  await transport.handleRequest(request, response, body);
};

const http = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => {
    process.stderr.write(`sdk-http-echo-server: ${error instanceof Error ? error.stack : String(error)}\n`);
    if (!response.headersSent) sendError(response, 500, -32603, 'Internal server error');
    else response.end();
  });
});

const stop = async (): Promise<void> => {
  for (const transport of [...transports.values()]) await transport.close();
  http.close(() => process.exit(0));
  http.closeAllConnections();
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

http.listen({ host, port }, () => {
  const bound = http.address();
  process.stderr.write(`listening on ${typeof bound === 'object' && bound !== null ? bound.port : port}\n`);
});
