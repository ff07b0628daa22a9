import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestId } from '../../domain/event-definition.js';
import { requestKey } from '../../domain/session/request-lifetime.js';
import type { RecordedEvent } from '../../store/event-store.js';
import { streamName } from '../../store/stream-name.js';
import { SseWriter } from '../../transport/http/sse-writer.js';
import { type IncomingMessage, McpConnection, type OutgoingMessage } from '../connection.js';
import { internalError } from '../errors.js';
import { correlationIdOf } from '../outcome.js';
import type { ServerContext } from '../server-context.js';
import { type KeptMessage, parseEventId, ResumableStream } from './resumable-stream.js';

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

  /**
   * Opens the session: records SessionStarted for a new one (before its initialize request is
   * handled), or loads one the log already holds (see adopt).
   */
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

  /**
   * A session of the log that no live process runs (its process stopped: a restart): this process
   * takes it over. What the stopped process left unfinished is ended first — each request recorded
   * as cut off, answered with an error on its stream — then the streams are rebuilt from the
   * recorded messages, so the client resumes them with Last-Event-ID as if nothing had happened.
   */
  static async adopt(
    context: ServerContext,
    id: string,
    agent: string,
    keepAliveMs: number,
    onCutOff: (correlationIds: readonly string[]) => Promise<void>,
  ): Promise<HttpSession> {
    const session = await HttpSession.open(context, id, agent, keepAliveMs);
    const initialization = session.mcp.recorded.initialization;
    if (initialization !== undefined) session.useProtocolVersion(initialization.protocolVersion);
    const before = await session.readLog(context);
    session.restoreStreams(before);
    if (session.mcp.recorded.instance?.id !== context.instance.id) {
      const cutOff = await session.mcp.adopt('the server process running the session stopped');
      await onCutOff(cutOff.map((request) => correlationIdOf(id, request.requestId)));
      const answered: Promise<void>[] = [];
      for (const request of cutOff) {
        const stream = request.stream === undefined ? undefined : session.streams.get(request.stream);
        if (stream === undefined) continue;
        const answer = session.finishStream(stream, {
          jsonrpc: '2.0',
          id: request.requestId,
          error: {
            ...internalError(),
            message: 'The server restarted before this request finished; it was recorded as cut off. Send it again.',
          },
        });
        answered.push(answer);
      }
      await Promise.all(answered);
    }
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

  /** A new SSE stream for the POSTed request `requestId`, on `response`. */
  openRequestStream(response: ServerResponse, requestId: RequestId): ResumableStream {
    const stream = this.newStream(this.nextStreamNumber++, requestId);
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
      await this.mcp.handle(message, sink.kind === 'sse' ? sink.stream.number : undefined);
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

  /** Drops this process's hold on the session without ending it: its client may come back to any process. */
  forget(): void {
    this.mcp.forget();
    for (const stream of this.streams.values()) stream.detach();
    this.streams.clear();
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

  private newStream(number: number, requestId?: RequestId): ResumableStream {
    return new ResumableStream(
      number,
      () => ++this.lastSeq,
      () => this.resumable,
      (seq, message) => this.mcp.recordStreamed(number, seq, message, requestId),
      (error) => this.logger.error({ err: error, stream: number }, 'could not record a streamed message; not sent'),
    );
  }

  private async readLog(context: ServerContext): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of context.store.readStream(streamName.session(this.id))) events.push(event);
    return events;
  }

  /** Rebuilds the streams (numbers, sequences, kept messages) from the session's recorded messages. */
  private restoreStreams(events: readonly RecordedEvent[]): void {
    const kept = new Map<number, { requestId?: RequestId; messages: KeptMessage[] }>();
    for (const event of events) {
      if (event.type === 'RequestReceived') {
        const { stream, requestId } = event.data as { stream?: number; requestId: RequestId };
        if (stream !== undefined && !kept.has(stream)) kept.set(stream, { requestId, messages: [] });
        if (stream !== undefined) this.nextStreamNumber = Math.max(this.nextStreamNumber, stream + 1);
      } else if (event.type === 'MessageStreamed') {
        const { stream, seq, message } = event.data as { stream: number; seq: number; message: OutgoingMessage };
        const entry = kept.get(stream) ?? { messages: [] };
        entry.messages.push({ seq, message });
        kept.set(stream, entry);
        this.lastSeq = Math.max(this.lastSeq, seq);
        this.nextStreamNumber = Math.max(this.nextStreamNumber, stream + 1);
      }
    }
    for (const [number, { requestId, messages }] of kept) {
      const finished = number !== GET_STREAM && messages.some(({ message }) => isResponse(message));
      this.streams.set(number, ResumableStream.restored(this.newStream(number, requestId), messages, finished));
    }
    this.trimUndelivered();
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
      else void this.finishStream(sink.stream, message);
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
    else if (!(this.resumable && sink.stream.isLive && !this.isEnding)) void this.finishStream(sink.stream, undefined);
  }

  private finishStream(stream: ResumableStream, last: OutgoingMessage | undefined): Promise<void> {
    if (last !== undefined) stream.send(last);
    return stream.finish().then(() => {
      if (!this.forgetIfDelivered(stream)) this.trimUndelivered();
    });
  }

  /** Streams kept for a client that comes back: bounded, oldest dropped first. */
  private trimUndelivered(): void {
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
