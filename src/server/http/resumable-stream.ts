import type { SseWriter } from '../../transport/http/sse-writer.js';
import type { OutgoingMessage } from '../connection.js';

/** Messages kept per stream for a client that reconnects; the oldest go first (progress), the answer is always last. */
export const REPLAY_MESSAGES_PER_STREAM = 256;

/**
 * An SSE event id: `<stream number>.<sequence>`. The stream number says which stream a client
 * resumes (0 is the session's GET stream, then one per POSTed request), the sequence where.
 */
export const eventIdOf = (stream: number, seq: number): string => `${stream}.${seq}`;

export const parseEventId = (id: string): { readonly stream: number; readonly seq: number } | undefined => {
  const match = /^(\d{1,9})\.(\d{1,15})$/.exec(id);
  return match === null ? undefined : { stream: Number(match[1]), seq: Number(match[2]) };
};

/**
 * One logical SSE stream of a session: the stream of one POSTed request, or the GET stream. It
 * outlives the HTTP response carrying it: messages are numbered and kept (bounded), so a client
 * whose connection dropped can come back with `Last-Event-ID` and get what it missed, then the rest.
 */
export class ResumableStream {
  private writer: SseWriter | undefined;
  private readonly kept: { readonly seq: number; readonly message: OutgoingMessage }[] = [];
  private finished = false;
  private delivered = false;

  constructor(
    readonly number: number,
    private readonly nextSeq: () => number,
    /** Clients older than 2025-11-25 cannot take the id-only priming event, so their streams are not resumable. */
    private readonly resumable: () => boolean,
  ) {}

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
   * data) so the client can resume it; a resumed one first gets every kept message after `afterSeq`.
   */
  attach(writer: SseWriter, afterSeq?: number): void {
    if (this.writer !== writer) this.writer?.end();
    this.writer = writer;
    if (afterSeq === undefined) {
      if (this.resumable()) writer.prime(eventIdOf(this.number, this.nextSeq()));
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
    this.kept.push({ seq, message });
    if (this.kept.length > REPLAY_MESSAGES_PER_STREAM) this.kept.shift();
    if (this.writer?.isOpen) this.writer.send(message, eventIdOf(this.number, seq));
  }

  /** The last message has been sent (a request's answer, or the session's end). */
  finish(): void {
    this.finished = true;
    if (this.isLive) this.endDelivered();
    else this.writer = undefined;
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
