/**
 * Baseline for bench/stdio-load.ts: an MCP server on stdio built with the official SDK 1.x
 * (McpServer + StdioServerTransport) with one tool, `echo` ({message} → that text), recording nothing.
 *
 * Run: node --import tsx bench/sdk-echo-server.ts   (NDJSON JSON-RPC on stdin/stdout)
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'sdk-echo', version: '1.0.0' });

server.registerTool(
  'echo',
  { description: 'Returns the message it is given.', inputSchema: { message: z.string() } },
  async ({ message }) => ({ content: [{ type: 'text', text: message }] }),
);

const transport = new StdioServerTransport();
await server.connect(transport);
