import type { SseWriter } from '../../transport/http/sse-writer.js';
import type { OutgoingMessage } from '../connection.js';

/** How long a client should wait before reconnecting a dropped stream (the priming event's `retry:`). */
export const RECONNECT_AFTER_MS = 1_000;

/** Messages kept per stream for a client that reconnects; the oldest go first (progress), the answer is always last. */
export const REPLAY_MESSAGES_PER_STREAM = 256;

/**
 * An SSE event id: `<stream number>.<sequence>`. The stream number says which stream a client
 * resumes (0 is the session's GET stream, then one per POSTed request), the sequence where. Both
 * are recorded with the message (MessageStreamed), so an id names one event of the session's log.
 */
export const eventIdOf = (stream: number, seq: number): string => `${stream}.${seq}`;

export const parseEventId = (id: string): { readonly stream: number; readonly seq: number } | undefined => {
  const match = /^(\d{1,9})\.(\d{1,15})$/.exec(id);
  return match === null ? undefined : { stream: Number(match[1]), seq: Number(match[2]) };
};

export interface KeptMessage {
  readonly seq: number;
  readonly message: OutgoingMessage;
}

/** Records a message of the stream (MessageStreamed) before it may be written; resolves once durable. */
export type RecordStreamed = (seq: number, message: OutgoingMessage) => Promise<void>;

/**
 * One logical SSE stream of a session: the stream of one POSTed request, or the GET stream. It
 * outlives the HTTP response carrying it: messages are numbered, recorded in the session's log and
 * kept (bounded), so a client whose connection dropped can come back with `Last-Event-ID` and get
 * what it missed, then the rest; after a restart, the stream is rebuilt from the log.
 */
export class ResumableStream {
  private writer: SseWriter | undefined;
  private readonly kept: KeptMessage[] = [];
  private finished = false;
  private delivered = false;
  /** Messages are written in the order they were sent, each once its record is durable. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly number: number,
    private readonly nextSeq: () => number,
    /** Clients older than 2025-11-25 cannot take the id-only priming event, so their streams are not resumable. */
    private readonly resumable: () => boolean,
    private readonly record: RecordStreamed,
    private readonly onRecordFailed: (error: unknown) => void,
  ) {}

  /** A stream rebuilt from the log after a restart: what was recorded, and whether its answer is among it. */
  static restored(stream: ResumableStream, kept: readonly KeptMessage[], finished: boolean): ResumableStream {
    stream.kept.push(...kept.slice(-REPLAY_MESSAGES_PER_STREAM));
    stream.finished = finished;
    return stream;
  }

  get isLive(): boolean {
    return this.writer?.isOpen ?? false;
  }

  /** True once the last message was sent and reached a live connection: nothing is left to resume. */
  get isDelivered(): boolean {
    return this.delivered;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /**
   * Carries the stream on `writer` from now on: a fresh stream gets a priming event (an id, no
   * data) so the client can resume it from its start; a resumed one first gets every kept message
   * after `afterSeq`.
   */
  attach(writer: SseWriter, afterSeq?: number): void {
    if (this.writer !== writer) this.writer?.end();
    this.writer = writer;
    if (afterSeq === undefined) {
      // Sequence 0 precedes every message of the stream, recorded now or after a restart.
      if (this.resumable()) writer.prime(eventIdOf(this.number, 0), RECONNECT_AFTER_MS);
    } else {
      for (const { seq, message } of this.kept) if (seq > afterSeq) writer.send(message, eventIdOf(this.number, seq));
    }
    if (this.finished) this.endDelivered();
  }

  send(message: OutgoingMessage): void {
    if (!this.resumable()) {
      this.writer?.send(message);
      return;
    }
    const seq = this.nextSeq();
    const recorded = this.record(seq, message);
    this.tail = this.tail
      .then(() => recorded)
      .then(
        () => {
          this.kept.push({ seq, message });
          if (this.kept.length > REPLAY_MESSAGES_PER_STREAM) this.kept.shift();
          if (this.writer?.isOpen) this.writer.send(message, eventIdOf(this.number, seq));
        },
        // Not recorded, so not sent: a client must never hold a message the log does not.
        (error: unknown) => this.onRecordFailed(error),
      );
  }

  /** The last message has been sent (a request's answer, or the session's end); resolves once written. */
  finish(): Promise<void> {
    this.tail = this.tail.then(() => {
      this.finished = true;
      if (this.isLive) this.endDelivered();
      else this.writer = undefined;
    });
    return this.tail;
  }

  /** Ends the connection carrying it, keeping what a resuming client would need. */
  detach(): void {
    this.writer?.end();
    this.writer = undefined;
  }

  private endDelivered(): void {
    this.delivered = true;
    this.kept.length = 0;
    this.writer?.end();
    this.writer = undefined;
  }
}
