import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestId } from '../../domain/event-definition.js';
import { requestKey } from '../../domain/session/request-lifetime.js';
import { SseWriter } from '../../transport/http/sse-writer.js';
import { type IncomingMessage, McpConnection, type OutgoingMessage } from '../connection.js';
import type { ServerContext } from '../server-context.js';
import { parseEventId, ResumableStream } from './resumable-stream.js';

/** Where the answer to one POSTed request goes: one JSON body, or an SSE stream that also carries its notifications. */
export type ResponseSink = (
  | { readonly kind: 'json'; readonly respond: (message: OutgoingMessage | undefined) => void }
  | { readonly kind: 'sse'; readonly stream: ResumableStream }
) & {
  /** Sees the answer just before it is written (initialize uses it to learn whether the session started). */
  readonly onAnswer?: (message: OutgoingMessage) => void;
};

export type Resumption = 'resumed' | 'conflict' | 'unknown';

/** The first revision whose clients accept an SSE event without data (the priming event that makes a stream resumable). */
const FIRST_RESUMABLE_PROTOCOL_VERSION = '2025-11-25';

/** Streams whose answer never reached the client, kept for a resume; the oldest is dropped past this. */
const UNDELIVERED_STREAMS_KEPT = 32;

const GET_STREAM = 0;

const isResponse = (message: OutgoingMessage): boolean =>
  'id' in message && ('result' in message || 'error' in message);

/**
 * One MCP session over HTTP: one McpConnection (one `session-<id>` stream), for one agent, fed by
 * many HTTP requests. Each POSTed request has a sink for its answer; notifications follow their
 * request onto its SSE stream, and the others (resource updates, a request's late logs) go to the
 * session's GET stream. SSE streams are resumable (Last-Event-ID) for clients of 2025-11-25 on.
 */
export class HttpSession {
  private readonly sinks = new Map<string, ResponseSink>();
  private readonly streams = new Map<number, ResumableStream>();
  private nextStreamNumber = GET_STREAM + 1;
  private lastSeq = 0;
  private resumable = false;
  private lastActivityAt = performance.now();
  private ending: Promise<void> | undefined;
  private connection: McpConnection | undefined;
  private readonly logger: Logger;

  private constructor(
    readonly id: string,
    readonly agent: string,
    private readonly keepAliveMs: number,
    context: ServerContext,
  ) {
    this.logger = context.logger.child({ session: id, agent, transport: 'http' });
    this.streams.set(GET_STREAM, this.newStream(GET_STREAM));
  }

  /** Opens the session (records SessionStarted) before its initialize request is handled. */
  static async open(context: ServerContext, id: string, agent: string, keepAliveMs: number): Promise<HttpSession> {
    const session = new HttpSession(id, agent, keepAliveMs, context);
    session.connection = await McpConnection.open(context, {
      transport: 'http',
      agent,
      sessionId: id,
      send: (message, relatedRequestId) => session.route(message, relatedRequestId),
    });
    return session;
  }

  get isEnding(): boolean {
    return this.ending !== undefined;
  }

  /** The protocol revision initialize settled on: it decides whether streams can be resumed. */
  useProtocolVersion(version: string): void {
    this.resumable = version >= FIRST_RESUMABLE_PROTOCOL_VERSION;
  }

  /** Milliseconds since the last HTTP request, or 0 while work is in flight or the GET stream is open. */
  idleMs(now = performance.now()): number {
    const busy = this.sinks.size > 0 || this.getStream.isLive || (this.connection?.inFlight ?? 0) > 0;
    return busy ? 0 : now - this.lastActivityAt;
  }

  touch(): void {
    this.lastActivityAt = performance.now();
  }

  hasRequestInFlight(id: RequestId): boolean {
    return this.sinks.has(requestKey(id));
  }

  /** A new SSE stream for one POSTed request, on `response`. */
  openRequestStream(response: ServerResponse): ResumableStream {
    const stream = this.newStream(this.nextStreamNumber++);
    this.streams.set(stream.number, stream);
    stream.attach(this.writerOn(response));
    return stream;
  }

  /**
   * Handles one request whose answer goes to `sink`; resolves when the request is finished. A
   * request that ends without an answer (the client cancelled it) closes its sink empty.
   */
  async handleRequest(message: Extract<IncomingMessage, { kind: 'request' }>, sink: ResponseSink): Promise<void> {
    const key = requestKey(message.id);
    this.sinks.set(key, sink);
    try {
      await this.mcp.handle(message);
    } finally {
      if (this.sinks.get(key) === sink) {
        this.sinks.delete(key);
        this.closeUnanswered(sink);
      }
      this.touch();
    }
  }

  /** Handles a notification or a response; resolves once it is handled (a cancellation: recorded). */
  async handleMessage(message: Exclude<IncomingMessage, { kind: 'request' }>): Promise<void> {
    try {
      await this.mcp.handle(message);
    } finally {
      this.touch();
    }
  }

  /** Opens the session's GET stream; false when it is already open (MCP allows one per session). */
  openStandaloneStream(response: ServerResponse): boolean {
    if (this.getStream.isLive) return false;
    this.getStream.attach(this.writerOn(response));
    return true;
  }

  /**
   * GET with Last-Event-ID: carries on the stream that id belongs to, after the messages the
   * client already has. `unknown` when there is nothing to resume (a bad id, or a stream dropped).
   */
  resume(response: ServerResponse, lastEventId: string): Resumption {
    const position = parseEventId(lastEventId);
    const stream = position === undefined ? undefined : this.streams.get(position.stream);
    if (position === undefined || stream === undefined || !this.resumable) return 'unknown';
    if (stream.number === GET_STREAM && stream.isLive) return 'conflict';
    stream.attach(this.writerOn(response), position.seq);
    this.forgetIfDelivered(stream);
    return 'resumed';
  }

  /**
   * Ends the session: in-flight requests finish (or are cut off after the grace period and
   * recorded as failed), SessionEnded is recorded, then every stream of the session is closed.
   */
  end(reason: string): Promise<void> {
    this.ending ??= (async () => {
      try {
        await this.mcp.close(reason);
      } finally {
        for (const sink of this.sinks.values()) this.closeUnanswered(sink);
        this.sinks.clear();
        for (const stream of this.streams.values()) stream.detach();
        this.streams.clear();
      }
    })();
    return this.ending;
  }

  private get mcp(): McpConnection {
    // Set in open() before the session is handed out.
    if (this.connection === undefined) throw new Error('HTTP session used before it was opened');
    return this.connection;
  }

  private get getStream(): ResumableStream {
    let stream = this.streams.get(GET_STREAM);
    if (stream === undefined) {
      // Only after end(): a stream nothing will write to again.
      stream = this.newStream(GET_STREAM);
    }
    return stream;
  }

  private newStream(number: number): ResumableStream {
    return new ResumableStream(
      number,
      () => ++this.lastSeq,
      () => this.resumable,
    );
  }

  private writerOn(response: ServerResponse): SseWriter {
    const writer = new SseWriter(response, { 'Mcp-Session-Id': this.id }, this.keepAliveMs);
    writer.onClose(() => this.touch());
    return writer;
  }

  /** The connection's `send`: a response to its request's sink, a notification to the best stream. */
  private route(message: OutgoingMessage, relatedRequestId: RequestId | undefined): void {
    if (isResponse(message)) {
      const id = message.id as RequestId | null;
      const sink = id === null ? undefined : this.sinks.get(requestKey(id));
      if (id === null || sink === undefined) {
        this.logger.warn({ id }, 'a response had no HTTP request waiting for it; dropped');
        return;
      }
      this.sinks.delete(requestKey(id));
      sink.onAnswer?.(message);
      if (sink.kind === 'json') sink.respond(message);
      else this.finishStream(sink.stream, message);
      return;
    }
    const related = relatedRequestId === undefined ? undefined : this.sinks.get(requestKey(relatedRequestId));
    // A disconnected request stream still takes its notifications when the client can resume it.
    if (related?.kind === 'sse' && (related.stream.isLive || this.resumable)) related.stream.send(message);
    else this.getStream.send(message);
  }

  /**
   * A request that ended without an answer (MCP sends none for a cancelled request). A client that
   * can resume would take a stream ending without an answer as a dropped connection and keep
   * reconnecting, so for it the stream stays open, silent, until the session ends (as the SDK's
   * server does); anyone else sees it end.
   */
  private closeUnanswered(sink: ResponseSink): void {
    if (sink.kind === 'json') sink.respond(undefined);
    else if (!(this.resumable && sink.stream.isLive && !this.isEnding)) this.finishStream(sink.stream, undefined);
  }

  private finishStream(stream: ResumableStream, last: OutgoingMessage | undefined): void {
    if (last !== undefined) stream.send(last);
    stream.finish();
    if (this.forgetIfDelivered(stream)) return;
    // Kept for a client that comes back; bounded, oldest first.
    const undelivered = [...this.streams.values()].filter((kept) => kept.isFinished && !kept.isDelivered);
    for (const dropped of undelivered.slice(0, Math.max(0, undelivered.length - UNDELIVERED_STREAMS_KEPT))) {
      this.streams.delete(dropped.number);
    }
  }

  private forgetIfDelivered(stream: ResumableStream): boolean {
    if (!stream.isDelivered || stream.number === GET_STREAM) return false;
    this.streams.delete(stream.number);
    return true;
  }
}
