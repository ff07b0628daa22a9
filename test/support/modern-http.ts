/**
 * Speaking MCP 2026-07-28 over HTTP in tests, without a client library: one POST per request with
 * the envelope in `_meta` and the headers the modern gate checks (MCP-Protocol-Version, Mcp-Method,
 * Mcp-Name), the answer read from a JSON or an SSE body.
 */
import { MCP_NAME_SOURCE } from '../../src/protocol/modern-headers.js';
import type { WireMessage } from './raw-stdio-peer.js';

export const MODERN_VERSION = '2026-07-28';

/** The `_meta` envelope of a modern request declaring `capabilities`. */
export const modernMeta = (clientName: string, capabilities: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientCapabilities': capabilities,
  'io.modelcontextprotocol/clientInfo': { name: clientName, version: '1' },
});

/** The JSON-RPC messages of an HTTP body: the one JSON message, or every SSE event's `data:`. */
export const messagesOf = (contentType: string | null, body: string): WireMessage[] => {
  if (body.trim() === '') return [];
  if (contentType?.startsWith('text/event-stream') !== true) return [JSON.parse(body) as WireMessage];
  return body
    .split(/\r?\n\r?\n/)
    .map((event) =>
      event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice('data:'.length).trimStart())
        .join('\n'),
    )
    .filter((data) => data !== '')
    .map((data) => JSON.parse(data) as WireMessage);
};

/** POSTs one modern request to `url` and resolves with its answer (result or error); throws if none came. */
export const postModern = async (
  url: string,
  id: string,
  method: string,
  params: Record<string, unknown>,
): Promise<WireMessage> => {
  const nameField = MCP_NAME_SOURCE[method];
  const name = nameField === undefined ? undefined : params[nameField];
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': MODERN_VERSION,
      'Mcp-Method': method,
      ...(typeof name === 'string' ? { 'Mcp-Name': name } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  });
  const body = await response.text();
  const answer = messagesOf(response.headers.get('content-type'), body).find(
    (message) => message.id === id && message.method === undefined,
  );
  if (answer === undefined) throw new Error(`no answer to ${id}: HTTP ${response.status} ${body}`);
  return answer;
};
