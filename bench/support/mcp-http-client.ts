/**
 * A minimal MCP Streamable HTTP client for load: one session over one keep-alive connection
 * (node:http, an Agent with a single socket), requests as pre-built JSON text, answers read as a
 * JSON body or an SSE stream. No MCP client library and not fetch: at thousands of requests per
 * second the client shares the machine's two cores with the server and must stay cheap (Node 20's
 * fetch managed a tenth of node:http's rate against a trivial server on this machine).
 */
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import type { JsonRpcMessage } from './child-server.js';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** process.hrtime.bigint() when the last byte of the body arrived. */
  readonly arrivedNs: bigint;
}

export interface McpHttpClientOptions {
  /** The MCP endpoint, e.g. http://127.0.0.1:8080/mcp. */
  readonly url: URL;
  /** The Accept header of POSTs: both media types (the server picks) or JSON only. */
  readonly accept: string;
}

/** Thrown when the connection is refused: the server is not listening (yet). */
export class ConnectionRefused extends Error {
  override readonly name = 'ConnectionRefused';
}

const PROTOCOL_VERSION_HEADER = 'mcp-protocol-version';
const SESSION_HEADER = 'mcp-session-id';

/**
 * The JSON-RPC message with `id` in an answer: the JSON body, or among the `data:` lines of an SSE
 * stream (events without data, such as priming events, are skipped). Undefined if there is none.
 */
export const messageOf = (answer: HttpAnswer, id: number): JsonRpcMessage | undefined => {
  const type = answer.headers['content-type'] ?? '';
  if (!type.startsWith('text/event-stream')) {
    try {
      const message = JSON.parse(answer.body) as JsonRpcMessage;
      return message.id === id ? message : undefined;
    } catch {
      return undefined;
    }
  }
  let data: string[] = [];
  for (const line of `${answer.body}\n`.split('\n')) {
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    else if (line === '' || line === '\r') {
      const text = data.join('\n');
      data = [];
      if (text.trim() === '') continue;
      try {
        const message = JSON.parse(text) as JsonRpcMessage;
        if (message.id === id) return message;
      } catch {
        // not JSON-RPC: not the answer
      }
    }
  }
  return undefined;
};

/** One virtual client: its own connection and its own MCP session. */
export class McpHttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly headers: Record<string, string>;
  private sessionId: string | undefined;

  constructor(private readonly options: McpHttpClientOptions) {
    this.headers = { 'content-type': 'application/json', accept: options.accept };
  }

  /** POSTs one JSON-RPC message; resolves when the whole answer has arrived (an SSE stream: when it ends). */
  post(body: string, timeoutMs: number): Promise<HttpAnswer> {
    return this.send('POST', body, timeoutMs);
  }

  /**
   * `initialize`, then `notifications/initialized`: the session is ready for requests. Rejects
   * with ConnectionRefused while the server is not listening.
   */
  async initialize(protocolVersion: string, timeoutMs: number): Promise<void> {
    const answer = await this.post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion, capabilities: {}, clientInfo: { name: 'http-load', version: '1.0.0' } },
      }),
      timeoutMs,
    );
    const message = messageOf(answer, 1);
    const session = answer.headers[SESSION_HEADER];
    if (answer.status !== 200 || message?.result === undefined || typeof session !== 'string') {
      throw new Error(`initialize failed: HTTP ${answer.status}, ${answer.body.slice(0, 300)}`);
    }
    const negotiated = (message.result as { protocolVersion?: unknown }).protocolVersion;
    this.sessionId = session;
    this.headers[SESSION_HEADER] = session;
    this.headers[PROTOCOL_VERSION_HEADER] = typeof negotiated === 'string' ? negotiated : protocolVersion;
    const initialized = await this.post(
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      timeoutMs,
    );
    if (initialized.status !== 202) {
      throw new Error(`notifications/initialized: HTTP ${initialized.status}, ${initialized.body.slice(0, 300)}`);
    }
  }

  /** DELETE ends the session (APEX records SessionEnded); then the connection is closed. */
  async end(timeoutMs: number): Promise<number | undefined> {
    try {
      if (this.sessionId === undefined) return undefined;
      return (await this.send('DELETE', undefined, timeoutMs)).status;
    } finally {
      this.agent.destroy();
    }
  }

  private send(method: 'POST' | 'DELETE', body: string | undefined, timeoutMs: number): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      const outgoing = request(this.options.url, {
        method,
        agent: this.agent,
        headers: body === undefined ? this.headers : { ...this.headers, 'content-length': Buffer.byteLength(body) },
      });
      outgoing.setTimeout(timeoutMs, () =>
        outgoing.destroy(new Error(`${method} ${this.options.url.pathname}: no answer within ${timeoutMs} ms`)),
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ECONNREFUSED' ? new ConnectionRefused(error.message) : error),
      );
      outgoing.on('response', (response) => {
        response.setEncoding('utf8');
        let text = '';
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text,
            arrivedNs: process.hrtime.bigint(),
          }),
        );
      });
      outgoing.end(body);
    });
  }
}
