import type { Readable, Writable } from 'node:stream';
import { type Observable, Subject, type Subscription } from 'rxjs';
import type { Frame } from './frame.js';
import { readStdioFrames, type StdioFrameReader, type StdioReaderOptions } from './stdio-reader.js';
import { createStdioWriter, type StdioWriter } from './stdio-writer.js';
import type { Transport } from './transport.js';

/** NDJSON over a pair of byte streams: by default the process's stdin and stdout. */
export class StdioTransport implements Transport {
  readonly inbound$: Observable<Frame>;
  readonly #reader: StdioFrameReader;
  readonly #writer: StdioWriter;
  readonly #inbound = new Subject<Frame>();
  #reading: Subscription | undefined;

  constructor(input: Readable = process.stdin, output: Writable = process.stdout, options: StdioReaderOptions = {}) {
    this.#reader = readStdioFrames(input, options);
    this.#writer = createStdioWriter(output);
    this.inbound$ = this.#inbound.asObservable();
  }

  /** Held input bytes, for health metrics and tests. */
  get heldInputBytes(): number {
    return this.#reader.heldBytes;
  }

  start(): void {
    if (this.#reading) throw new Error('StdioTransport.start() was called twice');
    this.#reading = this.#reader.frames$.subscribe(this.#inbound);
  }

  release(frame: Frame): void {
    this.#reader.release(frame);
  }

  send(message: unknown): Promise<void> {
    return this.#writer.write(message);
  }

  async close(): Promise<void> {
    this.#reading?.unsubscribe();
    this.#inbound.complete();
    await this.#writer.close();
  }
}
