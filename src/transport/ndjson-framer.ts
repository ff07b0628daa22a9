import { type Frame, type FramingOptions, MAX_MESSAGE_BYTES } from './frame.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

// Fatal: invalid bytes must be reported, not silently replaced with U+FFFD. Stateless between
// calls (no `stream: true`), so one instance serves every framer.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a byte stream into NDJSON frames. Holds only the unfinished tail of the current line
 * (as a list of chunks, joined once when the line ends), never more than the limit plus one
 * byte for a `\r`; an oversized line is counted and dropped as it streams in.
 */
export class NdjsonFramer {
  readonly #maxMessageBytes: number;
  // A line may carry one extra `\r` before its `\n` and still fit.
  readonly #maxHeldBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  // >= 0 while the current line is being discarded: how many bytes of it went by so far.
  #discardedBytes = -1;

  constructor(options: FramingOptions = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.#maxHeldBytes = this.#maxMessageBytes + 1;
  }

  /** Bytes of the unfinished line held in memory. */
  get heldBytes(): number {
    return this.#pendingBytes;
  }

  push(chunk: Buffer, emit: (frame: Frame) => void): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        if (start < chunk.length) this.#holdTail(chunk, start);
        return;
      }
      this.#completeLine(chunk, start, newline, emit);
      start = newline + 1;
    }
  }

  /** The input ended: a last line without `\n` still counts. */
  end(emit: (frame: Frame) => void): void {
    if (this.#discardedBytes >= 0) {
      const bytes = this.#discardedBytes;
      this.#discardedBytes = -1;
      emit({ kind: 'oversized', bytes });
    } else if (this.#pendingBytes > 0) {
      this.#emitLine(this.#takePending(), emit);
    }
  }

  #holdTail(chunk: Buffer, start: number): void {
    const tailBytes = chunk.length - start;
    if (this.#discardedBytes >= 0) {
      this.#discardedBytes += tailBytes;
      return;
    }
    if (this.#pendingBytes + tailBytes > this.#maxHeldBytes) {
      this.#discardedBytes = this.#pendingBytes + tailBytes;
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    // A short tail is copied so that it does not pin its whole (possibly large) chunk in memory.
    const tail =
      start === 0 ? chunk : tailBytes * 2 < chunk.length ? Buffer.from(chunk.subarray(start)) : chunk.subarray(start);
    this.#pending.push(tail);
    this.#pendingBytes += tailBytes;
  }

  #completeLine(chunk: Buffer, start: number, end: number, emit: (frame: Frame) => void): void {
    if (this.#discardedBytes >= 0) {
      const bytes = this.#discardedBytes + (end - start);
      this.#discardedBytes = -1;
      emit({ kind: 'oversized', bytes });
      return;
    }
    if (this.#pendingBytes === 0) {
      this.#emitLine(chunk.subarray(start, end), emit);
      return;
    }
    if (this.#pendingBytes + (end - start) > this.#maxHeldBytes) {
      const bytes = this.#pendingBytes + (end - start);
      this.#pending = [];
      this.#pendingBytes = 0;
      emit({ kind: 'oversized', bytes });
      return;
    }
    this.#pending.push(chunk.subarray(start, end));
    this.#pendingBytes += end - start;
    this.#emitLine(this.#takePending(), emit);
  }

  #takePending(): Buffer {
    const line = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    return line;
  }

  #emitLine(line: Buffer, emit: (frame: Frame) => void): void {
    const bytes = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    if (bytes === 0) return;
    if (bytes > this.#maxMessageBytes) {
      emit({ kind: 'oversized', bytes: line.length });
      return;
    }
    let text: string;
    try {
      text = strictUtf8.decode(bytes === line.length ? line : line.subarray(0, bytes));
    } catch {
      // TextDecoder's only way to say "not UTF-8" is to throw; it is an expected outcome here.
      emit({ kind: 'invalid_utf8' });
      return;
    }
    emit({ kind: 'message', text, bytes });
  }
}
