import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * Writes JSON messages as NDJSON, one per line, in the order given. Messages sent in the same
 * turn of the event loop go out in one `output.write()`; when the output says it is full
 * (`write()` returns false) nothing more is written until it drains.
 */
export interface StdioWriter {
  /**
   * Serializes `message` now (a serialization error throws here, at the caller) and queues it.
   * The promise settles when the batch holding it has been written out; every message of a batch
   * shares it, so ignoring it costs nothing. It rejects if the output fails or was closed.
   */
  write(message: unknown): Promise<void>;
  /** Writes what is queued, ends the output and resolves when it has finished. */
  close(): Promise<void>;
  /** Length (in UTF-16 code units) of the text queued and not yet handed to the output. */
  readonly queuedLength: number;
}

export const createStdioWriter = (output: Writable): StdioWriter => new BatchingNdjsonWriter(output);

interface BatchSettlement {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const newSettlement = (): BatchSettlement => {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // Callers may ignore the promise; the failure is still reported to those who await it.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
};

class BatchingNdjsonWriter implements StdioWriter {
  readonly #output: Writable;
  // Pending lines as one string: V8 keeps `+=` as a rope and flattens it once, at write time.
  #batch = '';
  #batchSettlement: BatchSettlement | undefined;
  #lastWrite: Promise<void> = Promise.resolve();
  #flushScheduled = false;
  #waitingForDrain = false;
  #closing = false;
  #failure: Error | undefined;

  constructor(output: Writable) {
    this.#output = output;
    output.on('error', (error: Error) => this.#fail(error));
  }

  get queuedLength(): number {
    return this.#batch.length;
  }

  write(message: unknown): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) return Promise.reject(new Error('the writer is closed'));
    const json = JSON.stringify(message);
    if (json === undefined) throw new TypeError('a message must serialize to JSON');
    // JSON.stringify escapes newlines inside strings, so a message is always exactly one line.
    this.#batch += json + '\n';
    this.#batchSettlement ??= newSettlement();
    if (!this.#flushScheduled && !this.#waitingForDrain) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
    return this.#batchSettlement.promise;
  }

  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#flush();
    }
    await this.#allWritten();
    if (this.#failure) throw this.#failure;
    if (!this.#output.writableEnded) this.#output.end();
    await finished(this.#output, { readable: false });
  }

  async #allWritten(): Promise<void> {
    for (;;) {
      const pending = this.#batchSettlement?.promise ?? this.#lastWrite;
      await pending;
      if (this.#batchSettlement === undefined && pending === this.#lastWrite) return;
    }
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#waitingForDrain || this.#failure || this.#batchSettlement === undefined) return;
    const text = this.#batch;
    const settlement = this.#batchSettlement;
    this.#batch = '';
    this.#batchSettlement = undefined;
    this.#lastWrite = settlement.promise;
    const hasRoom = this.#output.write(text, (error?: Error | null) => {
      if (error) settlement.reject(error);
      else settlement.resolve();
    });
    if (!hasRoom) {
      this.#waitingForDrain = true;
      this.#output.once('drain', this.#onDrain);
    }
  };

  readonly #onDrain = (): void => {
    this.#waitingForDrain = false;
    this.#flush();
  };

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#batchSettlement?.reject(error);
    this.#batchSettlement = undefined;
    this.#batch = '';
  }
}
