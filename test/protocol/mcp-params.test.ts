import * as sdk from '@modelcontextprotocol/sdk/types.js';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import {
  decodeParams,
  type JsonRpcError,
  MCP_NOTIFICATION_PARAMS,
  MCP_REQUEST_PARAMS,
  type McpNotificationMethod,
  type McpRequestMethod,
} from '../../src/protocol/index.js';

type Method = McpRequestMethod | McpNotificationMethod;

const codecFor = (method: Method): t.Decoder<unknown, unknown> =>
  method in MCP_REQUEST_PARAMS
    ? MCP_REQUEST_PARAMS[method as McpRequestMethod]
    : MCP_NOTIFICATION_PARAMS[method as McpNotificationMethod];

/** The official SDK's params schema for each method: the reference our codecs follow. */
const SDK_PARAMS: Record<Method, { safeParse(value: unknown): { success: boolean } }> = {
  initialize: sdk.InitializeRequestParamsSchema,
  ping: sdk.PingRequestSchema.shape.params.unwrap(),
  'tools/list': sdk.PaginatedRequestParamsSchema,
  'tools/call': sdk.CallToolRequestParamsSchema,
  'resources/list': sdk.PaginatedRequestParamsSchema,
  'resources/templates/list': sdk.PaginatedRequestParamsSchema,
  'resources/read': sdk.ReadResourceRequestParamsSchema,
  'resources/subscribe': sdk.SubscribeRequestParamsSchema,
  'resources/unsubscribe': sdk.UnsubscribeRequestParamsSchema,
  'prompts/list': sdk.PaginatedRequestParamsSchema,
  'prompts/get': sdk.GetPromptRequestParamsSchema,
  'completion/complete': sdk.CompleteRequestParamsSchema,
  'logging/setLevel': sdk.SetLevelRequestParamsSchema,
  'notifications/initialized': sdk.InitializedNotificationSchema.shape.params.unwrap(),
  'notifications/cancelled': sdk.CancelledNotificationParamsSchema,
  'notifications/progress': sdk.ProgressNotificationParamsSchema,
  'notifications/roots/list_changed': sdk.RootsListChangedNotificationSchema.shape.params.unwrap(),
};

const VALID: ReadonlyArray<readonly [Method, unknown]> = [
  [
    'initialize',
    {
      protocolVersion: '2025-11-25',
      capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: { form: {} }, experimental: { x: {} } },
      clientInfo: { name: 'client', version: '1.0.0', title: 'Client', icons: [{ src: 'data:,', sizes: ['48x48'] }] },
    },
  ],
  ['initialize', { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'c', version: '0' } }],
  ['ping', undefined],
  ['ping', { _meta: { progressToken: 'p' } }],
  ['tools/list', undefined],
  ['tools/list', { cursor: 'abc' }],
  ['tools/call', { name: 'echo' }],
  ['tools/call', { name: 'echo', arguments: { text: 'hi', nested: { a: [1] } }, _meta: { progressToken: 7 } }],
  ['resources/list', {}],
  ['resources/templates/list', { cursor: '' }],
  ['resources/read', { uri: 'payroll://agents/a1' }],
  ['resources/subscribe', { uri: 'memory://x' }],
  ['resources/unsubscribe', { uri: 'memory://x' }],
  ['prompts/list', undefined],
  ['prompts/get', { name: 'review', arguments: { language: 'en' } }],
  ['completion/complete', { ref: { type: 'ref/prompt', name: 'review' }, argument: { name: 'language', value: 'e' } }],
  [
    'completion/complete',
    {
      ref: { type: 'ref/resource', uri: 'memory://{id}' },
      argument: { name: 'id', value: '1' },
      context: { arguments: { a: 'b' } },
    },
  ],
  ['logging/setLevel', { level: 'warning' }],
  ['notifications/initialized', undefined],
  ['notifications/roots/list_changed', {}],
  ['notifications/cancelled', { requestId: 12, reason: 'user pressed stop' }],
  ['notifications/cancelled', { requestId: 'r-1' }],
  ['notifications/progress', { progressToken: 'p', progress: 50, total: 100, message: 'halfway' }],
];

/** Invalid params, and the path (and message) the error must carry. */
const INVALID: ReadonlyArray<readonly [Method, unknown, path: string, message: string]> = [
  ['tools/call', undefined, 'params.name', 'params.name is required'],
  ['tools/call', {}, 'params.name', 'params.name is required'],
  ['tools/call', { name: 42 }, 'params.name', 'params.name must be a string'],
  ['tools/call', { name: 'echo', arguments: [1] }, 'params.arguments', 'params.arguments must be an object'],
  [
    'tools/call',
    { name: 'echo', _meta: { progressToken: true } },
    'params._meta.progressToken',
    'params._meta.progressToken must be a string or an integer',
  ],
  ['tools/call', [1, 2], 'params', 'params must be an object'],
  ['tools/list', { cursor: 3 }, 'params.cursor', 'params.cursor must be a string'],
  ['resources/read', {}, 'params.uri', 'params.uri is required'],
  ['resources/subscribe', { uri: null }, 'params.uri', 'params.uri must be a string'],
  ['prompts/get', { name: 'p', arguments: { n: 1 } }, 'params.arguments.n', 'params.arguments.n must be a string'],
  [
    'prompts/get',
    { name: 'p', arguments: { 'odd key': 1 } },
    'params.arguments["odd key"]',
    'params.arguments["odd key"] must be a string',
  ],
  [
    'logging/setLevel',
    { level: 'verbose' },
    'params.level',
    'params.level must be one of debug, info, notice, warning, error, critical, alert, emergency',
  ],
  [
    'initialize',
    { protocolVersion: '2025-11-25', capabilities: {} },
    'params.clientInfo',
    'params.clientInfo is required',
  ],
  [
    'initialize',
    { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { version: '1' } },
    'params.clientInfo.name',
    'params.clientInfo.name is required',
  ],
  [
    'initialize',
    { protocolVersion: '1', capabilities: {}, clientInfo: { name: 'c', version: '1', icons: [{ src: 'a' }, {}] } },
    'params.clientInfo.icons[1].src',
    'params.clientInfo.icons[1].src is required',
  ],
  [
    'completion/complete',
    { ref: { type: 'ref/prompt' }, argument: { name: 'a', value: 'b' } },
    'params.ref.name',
    'params.ref.name is required',
  ],
  [
    'notifications/cancelled',
    { requestId: 1.5 },
    'params.requestId',
    'params.requestId must be a string or an integer',
  ],
  ['notifications/progress', { progressToken: 'p' }, 'params.progress', 'params.progress is required'],
];

const decode = (method: Method, params: unknown): E.Either<JsonRpcError, unknown> =>
  decodeParams(codecFor(method), params);

describe('MCP params codecs', () => {
  it.each(VALID)('%s accepts %j, as the SDK does', (method, params) => {
    const result = decode(method, params);
    expect(result).toEqual(E.right(params ?? {}));
    expect(SDK_PARAMS[method].safeParse(params ?? {}).success).toBe(true);
  });

  it.each(INVALID)('%s rejects %j at %s, as the SDK does', (method, params, path, message) => {
    expect(decode(method, params)).toEqual(
      E.left({ code: -32602, message: `Invalid params: ${message}`, data: { path } }),
    );
    expect(SDK_PARAMS[method].safeParse(params ?? {}).success).toBe(false);
  });

  it('lets unknown members through, as the SDK does (newer clients add fields)', () => {
    const params = { name: 'echo', arguments: {}, futureField: { x: 1 }, _meta: { 'vendor/trace': 'abc' } };
    expect(decode('tools/call', params)).toEqual(E.right(params));
  });

  it('covers every method the SDK lists for a client, except tasks', () => {
    const methods = new Set<string>([...Object.keys(MCP_REQUEST_PARAMS), ...Object.keys(MCP_NOTIFICATION_PARAMS)]);
    const clientMethods = [...sdk.ClientRequestSchema.options, ...sdk.ClientNotificationSchema.options]
      .map((schema) => schema.shape.method.value as string)
      .filter((method) => !method.startsWith('tasks/') && method !== 'notifications/tasks/status');
    expect(clientMethods).toHaveLength(17);
    for (const method of clientMethods) expect(methods).toContain(method);
  });
});
