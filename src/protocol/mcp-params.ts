import * as t from 'io-ts';
import { RequestId, SafeInteger } from './json-rpc.js';

/**
 * Params of the MCP methods APEX serves, revision 2025-11-25, shaped after the official SDK's
 * schemas (@modelcontextprotocol/sdk types.js). Objects are open (unknown members pass), as in
 * the SDK, so that newer clients are not turned away for fields we do not use.
 */

export const ProgressToken = t.union([t.string, SafeInteger], 'ProgressToken');

export const RequestMeta = t.partial({ progressToken: ProgressToken }, 'RequestMeta');

const WithMeta = t.partial({ _meta: RequestMeta });

const Icon = t.intersection([
  t.type({ src: t.string }),
  t.partial({ mimeType: t.string, sizes: t.array(t.string), theme: t.keyof({ light: null, dark: null }) }),
]);

export const Implementation = t.intersection(
  [
    t.type({ name: t.string, version: t.string }),
    t.partial({ title: t.string, websiteUrl: t.string, description: t.string, icons: t.array(Icon) }),
  ],
  'Implementation',
);

export const ClientCapabilities = t.partial(
  {
    experimental: t.record(t.string, t.UnknownRecord),
    sampling: t.partial({ context: t.UnknownRecord, tools: t.UnknownRecord }),
    elicitation: t.UnknownRecord,
    roots: t.partial({ listChanged: t.boolean }),
    tasks: t.UnknownRecord,
    extensions: t.record(t.string, t.UnknownRecord),
  },
  'ClientCapabilities',
);

export const InitializeParams = t.intersection(
  [t.type({ protocolVersion: t.string, capabilities: ClientCapabilities, clientInfo: Implementation }), WithMeta],
  'InitializeParams',
);

/** Methods whose params, if any, carry only `_meta`: ping and several notifications. */
export const MetaOnlyParams = t.partial({ _meta: RequestMeta }, 'MetaOnlyParams');

/** tools/list, resources/list, resources/templates/list, prompts/list. */
export const PaginatedParams = t.intersection([t.partial({ cursor: t.string }), WithMeta], 'PaginatedParams');

export const CallToolParams = t.intersection(
  [t.type({ name: t.string }), t.partial({ arguments: t.UnknownRecord, task: t.partial({ ttl: t.number }) }), WithMeta],
  'CallToolParams',
);

/** resources/read, resources/subscribe, resources/unsubscribe. */
export const ResourceUriParams = t.intersection([t.type({ uri: t.string }), WithMeta], 'ResourceUriParams');

export const GetPromptParams = t.intersection(
  [t.type({ name: t.string }), t.partial({ arguments: t.record(t.string, t.string) }), WithMeta],
  'GetPromptParams',
);

const PromptReference = t.type({ type: t.literal('ref/prompt'), name: t.string });
const ResourceTemplateReference = t.type({ type: t.literal('ref/resource'), uri: t.string });

export const CompleteParams = t.intersection(
  [
    t.type({
      ref: t.union([PromptReference, ResourceTemplateReference]),
      argument: t.type({ name: t.string, value: t.string }),
    }),
    t.partial({ context: t.partial({ arguments: t.record(t.string, t.string) }) }),
    WithMeta,
  ],
  'CompleteParams',
);

export const LoggingLevel = t.keyof(
  { debug: null, info: null, notice: null, warning: null, error: null, critical: null, alert: null, emergency: null },
  'LoggingLevel',
);

export const SetLevelParams = t.intersection([t.type({ level: LoggingLevel }), WithMeta], 'SetLevelParams');

/** 2025-11-25 made `requestId` optional (task cancellation); it is still required to cancel a request. */
export const CancelledParams = t.intersection(
  [t.partial({ requestId: RequestId, reason: t.string }), WithMeta],
  'CancelledParams',
);

export const ProgressParams = t.intersection(
  [
    t.type({ progressToken: ProgressToken, progress: t.number }),
    t.partial({ total: t.number, message: t.string }),
    WithMeta,
  ],
  'ProgressParams',
);

/** Params codec of each client request APEX serves, by method. */
export const MCP_REQUEST_PARAMS = {
  initialize: InitializeParams,
  ping: MetaOnlyParams,
  'tools/list': PaginatedParams,
  'tools/call': CallToolParams,
  'resources/list': PaginatedParams,
  'resources/templates/list': PaginatedParams,
  'resources/read': ResourceUriParams,
  'resources/subscribe': ResourceUriParams,
  'resources/unsubscribe': ResourceUriParams,
  'prompts/list': PaginatedParams,
  'prompts/get': GetPromptParams,
  'completion/complete': CompleteParams,
  'logging/setLevel': SetLevelParams,
} as const;

/** Params codec of each client notification APEX handles, by method. */
export const MCP_NOTIFICATION_PARAMS = {
  'notifications/initialized': MetaOnlyParams,
  'notifications/roots/list_changed': MetaOnlyParams,
  'notifications/cancelled': CancelledParams,
  'notifications/progress': ProgressParams,
} as const;

export type McpRequestMethod = keyof typeof MCP_REQUEST_PARAMS;
export type McpNotificationMethod = keyof typeof MCP_NOTIFICATION_PARAMS;
export type McpRequestParams<M extends McpRequestMethod> = t.TypeOf<(typeof MCP_REQUEST_PARAMS)[M]>;
export type McpNotificationParams<M extends McpNotificationMethod> = t.TypeOf<(typeof MCP_NOTIFICATION_PARAMS)[M]>;
