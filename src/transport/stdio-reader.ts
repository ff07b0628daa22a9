import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import type { Frame, FramingOptions } from './frame.js';
import { NdjsonFramer } from './ndjson-framer.js';

/** Input held at once, framed or not yet released by the consumer (seed §2.1: 2 MB buffer). */
export const INPUT_BUFFER_BYTES = 2 * 1024 * 1024;
/** Reading pauses once held input exceeds this share of the buffer (seed §2.1: 90%). */
export const BACKPRESSURE_THRESHOLD = 0.9;

export interface StdioReaderOptions extends FramingOptions {
  readonly bufferBytes?: number;
  readonly backpressureThreshold?: number;
}

/**
 * Frames read from a byte stream, with credit-based backpressure: every `message` frame keeps
 * its bytes counted as held until the consumer calls `release(frame)`. While held input is above
 * the threshold the input stream is paused, so a slow consumer stops the producer instead of
 * letting memory grow.
 */
export interface StdioFrameReader {
  /** Frames in arrival order. One subscriber: subscribing starts reading; unsubscribing pauses the input. */
  readonly frames$: Observable<Frame>;
  /** The consumer is done with `frame` (handled or dropped). Call exactly once per frame. */
  release(frame: Frame): void;
  /** Bytes held: the framer's unfinished line plus delivered message frames not yet released. */
  readonly heldBytes: number;
  /** True while reading is paused because held input is above the threshold. */
  readonly pausedForBackpressure: boolean;
}

export const readStdioFrames = (input: Readable, options: StdioReaderOptions = {}): StdioFrameReader =>
  new BackpressuredFrameReader(input, options);

class BackpressuredFrameReader implements StdioFrameReader {
  readonly frames$: Observable<Frame>;
  readonly #input: Readable;
  readonly #framer: NdjsonFramer;
  readonly #pauseAboveBytes: number;
  #unreleasedBytes = 0;
  #paused = false;
  #reading = false;
  #subscribed = false;

  constructor(input: Readable, options: StdioReaderOptions) {
    this.#input = input;
    this.#framer = new NdjsonFramer(options);
    const bufferBytes = options.bufferBytes ?? INPUT_BUFFER_BYTES;
    this.#pauseAboveBytes = Math.floor(bufferBytes * (options.backpressureThreshold ?? BACKPRESSURE_THRESHOLD));
    this.frames$ = new Observable<Frame>((subscriber) => {
      if (this.#subscribed) {
        subscriber.error(new Error('frames$ takes one subscriber: it owns the input stream'));
        return;
      }
      this.#subscribed = true;
      this.#reading = true;
      const emit = (frame: Frame): void => {
        if (frame.kind === 'message') this.#unreleasedBytes += frame.bytes;
        subscriber.next(frame);
      };
      const onData = (chunk: Buffer): void => {
        this.#framer.push(chunk, emit);
        if (!this.#paused && this.heldBytes > this.#pauseAboveBytes) {
          this.#paused = true;
          input.pause();
        }
      };
      const onEnd = (): void => {
        this.#framer.end(emit);
        subscriber.complete();
      };
      const onError = (error: Error): void => subscriber.error(error);
      input.on('data', onData);
      input.once('end', onEnd);
      input.once('error', onError);
      input.resume();
      return () => {
        this.#reading = false;
        input.off('data', onData);
        input.off('end', onEnd);
        input.off('error', onError);
        input.pause();
      };
    });
  }

  get heldBytes(): number {
    return this.#framer.heldBytes + this.#unreleasedBytes;
  }

  get pausedForBackpressure(): boolean {
    return this.#paused;
  }

  release(frame: Frame): void {
    if (frame.kind !== 'message') return;
    this.#unreleasedBytes -= frame.bytes;
    if (this.#unreleasedBytes < 0) throw new Error('release() called more often than frames were delivered');
    if (this.#paused && this.heldBytes <= this.#pauseAboveBytes) {
      this.#paused = false;
      if (this.#reading) this.#input.resume();
    }
  }
}
