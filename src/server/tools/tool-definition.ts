import type { ToolPrice } from '../../domain/money.js';

/** MCP's logging levels (RFC 5424 severities), least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type JsonObject = { readonly [key: string]: unknown };

export type ContentBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image' | 'audio'; readonly data: string; readonly mimeType: string }
  | { readonly type: 'resource'; readonly resource: JsonObject };

/** What a tool returns; `isError: true` is a tool failure the model can read, not a protocol error. */
export interface ToolResult {
  readonly content: readonly ContentBlock[];
  readonly structuredContent?: JsonObject;
  readonly isError?: boolean;
}

/** Requests a server may send to its client on behalf of a tool call. */
export const CLIENT_REQUEST_METHODS = ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const;
export type ClientRequestMethod = (typeof CLIENT_REQUEST_METHODS)[number];

/** The client's answer to a server-to-client request: its result, or why there is none. */
export type ClientAnswer =
  | { readonly ok: true; readonly result: JsonObject }
  | { readonly ok: false; readonly error: { readonly code: number; readonly message: string } };

export interface ClientRequestOptions {
  readonly timeoutMs?: number;
  readonly key?: string;
  readonly ifDeclared?: boolean;
}

/** What a running tool may use: who called, when to stop, and how to talk back. */
export interface ToolContext {
  readonly agent: string;
  readonly correlationId: string;
  /** Aborted when the client cancels, the request times out, or the server shuts down. */
  readonly signal: AbortSignal;
  /** Sends notifications/progress when the client asked for it (a progressToken); a no-op otherwise. */
  readonly reportProgress: (progress: number, total?: number, message?: string) => void;
  /** Sends notifications/message at or above the client's logging level. */
  readonly log: (level: LogLevel, data: unknown) => void;
  /**
   * Sends a request to the client (sampling, elicitation, roots) on behalf of this call and waits for
   * its answer; recorded in the session. Fails (never throws) when the client did not declare the
   * capability, does not answer within `timeoutMs`, or the call is cancelled.
   */
  readonly requestFromClient: (
    method: ClientRequestMethod,
    params: JsonObject,
    /**
     * `key`: the name of the question in a 2026-07-28 multi round-trip (default `input-<n>`, the n-th
     * question of the run); `timeoutMs`: how long a legacy client may take to answer. A 2026-07-28
     * request that did not declare the capability ends the call with -32021 (MCP's rule), unless
     * `ifDeclared`: then the tool gets a refusal and goes on without the answer.
     */
    options?: ClientRequestOptions,
  ) => Promise<ClientAnswer>;
}

export interface ToolAnnotations {
  readonly title?: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** A tool as APEX defines it; price, category and permissions can be overridden in the config. */
export interface ToolDefinition {
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly inputSchema: JsonObject;
  readonly outputSchema?: JsonObject;
  readonly annotations?: ToolAnnotations;
  readonly category: string;
  readonly permissions: readonly string[];
  readonly price: ToolPrice;
  /** Long-running: a client that declares the tasks extension gets a task for a call of it. */
  readonly runsAsTask?: boolean;
  readonly run: (args: JsonObject, context: ToolContext) => Promise<ToolResult>;
}

export const textResult = (text: string, structuredContent?: JsonObject): ToolResult =>
  structuredContent === undefined
    ? { content: [{ type: 'text', text }] }
    : { content: [{ type: 'text', text }], structuredContent };

export const toolError = (text: string): ToolResult => ({ content: [{ type: 'text', text }], isError: true });

export const FREE: ToolPrice = { perCall: 0n, perSecond: 0n };
