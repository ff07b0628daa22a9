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
   * capability, does not answer within `timeoutMs`, or the call is cancelled. Inside a task the
   * question is the task's input request (recorded in the task's stream), answered by tasks/update.
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
  /**
   * For a tool that `startsTaskItself`: the call goes on as a task from here. A 2026-07-28 request
   * that declared the tasks extension is answered at once with the task (durable first), and the run
   * goes on in it: its `signal` becomes the task's, its questions become the task's input requests
   * (tasks/get shows them, tasks/update answers them), progress and logs stop. Anywhere else it
   * returns at once and the call goes on as a plain call. Questions asked before it are rounds of
   * the call itself (multi round-trip), so a tool can gather what it needs before the task exists.
   * Absent where a call cannot become a task.
   */
  readonly continueAsTask?: () => Promise<void>;
}

/** The JSON-RPC codes a tool may end its call with; the others describe the request, not the work. */
export const TOOL_PROTOCOL_ERROR_CODES = { INVALID_PARAMS: -32602, INTERNAL_ERROR: -32603 } as const;

/** JSON-RPC reserves -32768..-32000; outside it a code is the application's (here: the tool's). */
const isApplicationCode = (code: number): boolean => code < -32768 || code > -32000;

/** The longest message a tool's protocol error carries; a longer one is cut. */
export const MAX_TOOL_ERROR_MESSAGE_LENGTH = 1000;

/**
 * Thrown from a tool's `run` when the call cannot produce a result at all: the call ends with this
 * JSON-RPC error instead of a result (a task ends `failed` with it). Not for a tool that ran and
 * failed — that is an `isError` result the model can read. `code` is -32602, -32603 or an
 * application code (outside -32768..-32000); `message` and `data` go to the client as they are, so
 * they must name the problem, never internals. A code outside those is a bug in the tool: the
 * constructor throws, and the call is handled as a crashed tool.
 */
export class ToolProtocolError extends Error {
  override readonly name = 'ToolProtocolError';
  readonly code: number;
  readonly data: JsonObject | undefined;

  constructor(code: number, message: string, data?: JsonObject) {
    if (
      !Number.isInteger(code) ||
      !(Object.values<number>(TOOL_PROTOCOL_ERROR_CODES).includes(code) || isApplicationCode(code))
    ) {
      throw new RangeError(`a tool cannot end its call with JSON-RPC code ${code}`);
    }
    super(message.slice(0, MAX_TOOL_ERROR_MESSAGE_LENGTH));
    this.code = code;
    this.data = data;
  }

  /** The error as the client sees it. */
  toJsonRpcError(): { readonly code: number; readonly message: string; readonly data?: JsonObject } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
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
  /**
   * With `runsAsTask`: it cannot be served without a task. A 2026-07-28 request that did not declare
   * the tasks extension gets -32021 naming it, a legacy one -32601 (2025-11-25's rule for a tool
   * that requires a task); nothing is reserved or run.
   */
  readonly taskOnly?: boolean;
  /**
   * With `runsAsTask`: the call becomes a task when the tool calls `ToolContext.continueAsTask`,
   * not when it starts, so the questions it asks first are answered by multi round-trip before the
   * task exists.
   */
  readonly startsTaskItself?: boolean;
  readonly run: (args: JsonObject, context: ToolContext) => Promise<ToolResult>;
}

export const textResult = (text: string, structuredContent?: JsonObject): ToolResult =>
  structuredContent === undefined
    ? { content: [{ type: 'text', text }] }
    : { content: [{ type: 'text', text }], structuredContent };

export const toolError = (text: string): ToolResult => ({ content: [{ type: 'text', text }], isError: true });

export const FREE: ToolPrice = { perCall: 0n, perSecond: 0n };
